package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
)

// SCRAM (RFC 5802) client for kafka-go. kafka-go's own sasl/scram package
// pulls in github.com/xdg-go/scram, which this module does not carry; the
// exchange is small enough to write against the standard library.
// Credentials are not SASLprep-normalised, which matches Kafka's broker
// (ScramFormatter uses the raw UTF-8 bytes).

type scramAlgo struct {
	name string
	hash func() hash.Hash
	size int
}

var (
	scramSHA256 = scramAlgo{"SCRAM-SHA-256", sha256.New, sha256.Size}
	scramSHA512 = scramAlgo{"SCRAM-SHA-512", sha512.New, sha512.Size}
)

// Kafka's broker refuses fewer; an attacker-controlled server could ask for
// absurdly many, which would burn CPU on every connection.
const (
	scramMinIterations = 4096
	scramMaxIterations = 1 << 20
)

var errScram = errors.New("scram")

type scramMechanism struct {
	algo scramAlgo
	user string
	pass string
}

func newScram(algo scramAlgo, user, pass string) sasl.Mechanism {
	return scramMechanism{algo: algo, user: user, pass: pass}
}

func (m scramMechanism) Name() string { return m.algo.name }

func (m scramMechanism) Start(context.Context) (sasl.StateMachine, []byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, nil, err
	}
	s := &scramSession{m: m, clientNonce: base64.RawStdEncoding.EncodeToString(nonce[:])}
	escaped := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(m.user)
	s.clientFirstBare = "n=" + escaped + ",r=" + s.clientNonce
	return s, []byte("n,," + s.clientFirstBare), nil
}

type scramSession struct {
	m               scramMechanism
	clientNonce     string
	clientFirstBare string
	serverSignature []byte
	step            int
}

func (s *scramSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	s.step++
	switch s.step {
	case 1:
		resp, err := s.clientFinal(string(challenge))
		return false, resp, err
	case 2:
		return true, nil, s.verifyServerFinal(string(challenge))
	}
	return false, nil, fmt.Errorf("%w: unexpected challenge after authentication", errScram)
}

func scramAttrs(msg string) map[byte]string {
	attrs := make(map[byte]string)
	for _, kv := range strings.Split(msg, ",") {
		if len(kv) >= 2 && kv[1] == '=' {
			if _, dup := attrs[kv[0]]; !dup {
				attrs[kv[0]] = kv[2:]
			}
		}
	}
	return attrs
}

func (s *scramSession) clientFinal(serverFirst string) ([]byte, error) {
	a := scramAttrs(serverFirst)
	if _, ok := a['m']; ok {
		return nil, fmt.Errorf("%w: server requires an unsupported extension", errScram)
	}
	nonce := a['r']
	if !strings.HasPrefix(nonce, s.clientNonce) || len(nonce) == len(s.clientNonce) {
		return nil, fmt.Errorf("%w: server nonce does not extend the client nonce", errScram)
	}
	salt, err := base64.StdEncoding.DecodeString(a['s'])
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: bad salt", errScram)
	}
	iters, err := strconv.Atoi(a['i'])
	if err != nil || iters < scramMinIterations || iters > scramMaxIterations {
		return nil, fmt.Errorf("%w: iteration count %q outside [%d, %d]", errScram, a['i'], scramMinIterations, scramMaxIterations)
	}
	salted, err := pbkdf2.Key(s.m.algo.hash, s.m.pass, salt, iters, s.m.algo.size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errScram, err)
	}
	clientKey := s.hmac(salted, "Client Key")
	h := s.m.algo.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)

	withoutProof := "c=biws,r=" + nonce // biws = base64("n,,")
	authMessage := s.clientFirstBare + "," + serverFirst + "," + withoutProof
	proof := s.hmac(storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	s.serverSignature = s.hmac(s.hmac(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (s *scramSession) verifyServerFinal(serverFinal string) error {
	a := scramAttrs(serverFinal)
	if e, ok := a['e']; ok {
		return fmt.Errorf("%w: server rejected authentication: %s", errScram, e)
	}
	sig, err := base64.StdEncoding.DecodeString(a['v'])
	if err != nil || subtle.ConstantTimeCompare(sig, s.serverSignature) != 1 {
		return fmt.Errorf("%w: server signature does not verify", errScram)
	}
	return nil
}

func (s *scramSession) hmac(key []byte, msg string) []byte {
	m := hmac.New(s.m.algo.hash, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
