package scoring

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomize sets every exported or unexported scalar field reachable in v
// (structs, arrays, slices it already holds) to a random value, so that a
// field the encoding forgets shows up as a difference after a round trip.
func randomize(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			randomize(r, v.Field(i))
		}
	case reflect.Array, reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			randomize(r, v.Index(i))
		}
	case reflect.Bool:
		setField(v, reflect.ValueOf(r.IntN(2) == 1))
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		setField(v, reflect.ValueOf(r.Int64()).Convert(v.Type()))
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		setField(v, reflect.ValueOf(r.Uint64()).Convert(v.Type()))
	case reflect.Float32:
		setField(v, reflect.ValueOf(float32(r.NormFloat64()*50)))
	case reflect.String:
		setField(v, reflect.ValueOf(string(rune('A'+r.IntN(26)))+"ö"))
	}
}

func setField(v, x reflect.Value) {
	// Unexported fields: write through an addressable alias.
	reflect.NewAt(v.Type(), v.Addr().UnsafePointer()).Elem().Set(x)
}

// randomAccount is an account with every field random, then put back
// within the bounds the scorer keeps (slot counts and references, time
// zone, labels), as a live account's state is.
func randomAccount(r *rand.Rand) *account {
	a := &account{
		devices:     make([]device, 1+r.IntN(maxDevices)),
		places:      make([]place, 1+r.IntN(maxPlaces)),
		edges:       make([]edge, r.IntN(maxEdges+1)),
		sessions:    make([]session, r.IntN(maxSessions+1)),
		peakReasons: make([]string, 1+r.IntN(4)),
	}
	randomize(r, reflect.ValueOf(a).Elem())
	t := int64(1_790_000_000) + r.Int64N(1e7)
	a.firstSeen = t
	a.tz = int32(r.IntN(25)-12) * 3600
	clock := func() int64 { return t + r.Int64N(40*86400) - 86400 }
	day := func() dayset { return dayset{last: dayOf(t) + int32(r.IntN(40)), bits: r.Uint64()} }
	a.lastSeen, a.baseAt, a.firstFlagged, a.baseFlagged = clock(), clock(), clock(), clock()
	a.newcomers, a.teleports = day(), day()
	for i := range a.devices {
		d := &a.devices[i]
		d.firstSeen, d.lastSeen, d.lastPosAt, d.days = clock(), clock(), clock(), day()
	}
	for i := range a.places {
		p := &a.places[i]
		p.firstSeen, p.lastSeen = clock(), clock()
		p.days, p.conflicts, p.reach = day(), day(), day()
		p.prev = int8(r.IntN(i + 1)) // an earlier place or none: chains end, as live ones do
	}
	for i := range a.edges {
		e := &a.edges[i]
		e.dev, e.place, e.days, e.lastSeen = uint8(r.IntN(len(a.devices))), uint8(r.IntN(len(a.places))), day(), clock()
	}
	for i := range a.sessions {
		s := &a.sessions[i]
		s.dev, s.place, s.start, s.last = int8(r.IntN(len(a.devices))), int8(r.IntN(len(a.places)+1)-1), clock(), clock()
	}
	a.peakLabel, a.lastLabel = Label(r.IntN(4)), Label(r.IntN(4))
	return a
}

// TestStateRoundTrip: every field of an account's state comes back from
// its encoding as it was. Fields are filled by reflection, so a field
// added to the state but not to the encoding fails here.
func TestStateRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		a := randomAccount(r)
		b := a.appendState(nil)
		got, err := decodeState(b)
		if err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("account %d differs after a round trip:\n got %+v\nwant %+v", i, got, a)
		}
	}
	// An account as Score makes it: no sessions, no reasons yet.
	a := &account{firstSeen: 1_790_000_000, lastSeen: 1_790_000_000}
	got, err := decodeState(a.appendState(nil))
	if err != nil || !reflect.DeepEqual(got, &account{firstSeen: a.firstSeen, lastSeen: a.lastSeen, devices: []device{}, places: []place{}, edges: []edge{}, sessions: []session{}}) {
		t.Errorf("a fresh account: %+v, %v", got, err)
	}
}

// TestDamagedStateIsAnError: every truncation of a state, and states whose
// slot references point nowhere, are errors, never panics or accounts
// the scorer would trip over later.
func TestDamagedStateIsAnError(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randomAccount(r)
	b := a.appendState(nil)
	for n := 0; n < len(b); n++ {
		if _, err := decodeState(b[:n]); err == nil {
			t.Fatalf("a state cut to %d of %d bytes decoded", n, len(b))
		}
	}
	if _, err := decodeState(append(b, 0)); err == nil {
		t.Error("a state with a trailing byte decoded")
	}
	bad := *a
	bad.edges = append([]edge(nil), a.edges...)
	bad.edges = append(bad.edges[:0], edge{dev: uint8(len(a.devices)), place: 0})
	if _, err := decodeState(bad.appendState(nil)); err == nil {
		t.Error("an edge to a device slot that does not exist decoded")
	}
	bad = *a
	bad.sessions = []session{{dev: 0, place: int8(len(a.places))}}
	if _, err := decodeState(bad.appendState(nil)); err == nil {
		t.Error("a session at a place slot that does not exist decoded")
	}
}

// TestCheckpointErrors: what is not a checkpoint, or of another format
// version, is ErrCheckpoint, and the scorer keeps its accounts.
func TestCheckpointErrors(t *testing.T) {
	s, err := New(Config{}, Options{Locator: testLocator()})
	if err != nil {
		t.Fatal(err)
	}
	s.accounts["a-1"] = randomAccount(rand.New(rand.NewPCG(5, 6)))
	var buf bytes.Buffer
	if err := s.Checkpoint(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	other := append([]byte(nil), good...)
	other[len(checkpointMagic)] = stateFormat + 1
	for name, b := range map[string][]byte{
		"empty":              nil,
		"not a checkpoint":   []byte(`{"account_id":"a-1"}`),
		"another version":    other,
		"cut short":          good[:len(good)-3],
		"data after the end": append(append([]byte(nil), good...), 7),
	} {
		fresh, _ := New(Config{}, Options{Locator: testLocator()})
		fresh.accounts["keep"] = &account{}
		err := fresh.Restore(bytes.NewReader(b))
		if !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: %v, want ErrCheckpoint", name, err)
		}
		if _, ok := fresh.accounts["keep"]; !ok || len(fresh.accounts) != 1 {
			t.Errorf("%s: the scorer's accounts changed on a failed restore", name)
		}
	}
	fresh, _ := New(Config{}, Options{Locator: testLocator()})
	if err := fresh.Restore(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fresh.accounts, s.accounts) {
		t.Error("a restored scorer's accounts differ from the checkpointed ones")
	}
}

// TestMutatedStatesDecodeSafely: random byte changes to real states are
// errors or states that encode and decode to themselves; never a panic.
// (FuzzDecodeState below explores further under go test -fuzz.)
func TestMutatedStatesDecodeSafely(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	decoded := 0
	for i := 0; i < 5000; i++ {
		b := randomAccount(r).appendState(nil)
		for k := 0; k <= i%4; k++ {
			b[r.IntN(len(b))] = byte(r.Uint32())
		}
		a, err := decodeState(b)
		if err != nil {
			continue
		}
		decoded++
		enc := a.appendState(nil)
		again, err := decodeState(enc)
		if err != nil || !bytes.Equal(again.appendState(nil), enc) { // bytes: NaN != NaN
			t.Fatalf("mutation %d: re-encoding a decoded state: %v", i, err)
		}
	}
	if decoded == 0 || decoded == 5000 {
		t.Fatalf("%d of 5000 mutated states decoded: the test exercises only one side", decoded)
	}
}

// FuzzDecodeState: no input makes decoding panic, and what decodes
// encodes and decodes to the same state.
func FuzzDecodeState(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 4; i++ {
		f.Add(randomAccount(r).appendState(nil))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeState(b)
		if err != nil {
			return
		}
		enc := a.appendState(nil)
		again, err := decodeState(enc)
		if err != nil || !bytes.Equal(again.appendState(nil), enc) {
			t.Fatalf("re-encoding a decoded state: %v", err)
		}
	})
}
