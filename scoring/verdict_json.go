package scoring

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the verdict as one JSON object, field for field the
// same as encoding/json would write, without reflection: verdicts are
// written once per event, so this is on the hot path.
func (v *Verdict) AppendJSON(b []byte) []byte {
	b = append(b, `{"event_id":`...)
	b = appendString(b, v.EventID)
	b = append(b, `,"type":`...)
	b = appendString(b, v.Type)
	b = append(b, `,"time":"`...)
	b = v.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","account_id":`...)
	b = appendString(b, v.AccountID)
	b = append(b, `,"session_id":`...)
	b = appendString(b, v.SessionID)
	b = append(b, `,"device_id":`...)
	b = appendString(b, v.DeviceID)
	b = append(b, `,"ip":`...)
	b = appendString(b, v.IP)
	b = append(b, `,"country":`...)
	b = appendString(b, v.Country)
	b = append(b, `,"city":`...)
	b = appendString(b, v.City)
	b = append(b, `,"lat":`...)
	b = strconv.AppendFloat(b, v.Lat, 'f', -1, 64)
	b = append(b, `,"lon":`...)
	b = strconv.AppendFloat(b, v.Lon, 'f', -1, 64)
	b = append(b, `,"accuracy_km":`...)
	b = strconv.AppendInt(b, int64(v.AccuracyKM), 10)
	b = append(b, `,"asn":`...)
	b = strconv.AppendUint(b, uint64(v.ASN), 10)
	b = append(b, `,"score":`...)
	b = strconv.AppendFloat(b, v.Score, 'f', -1, 64)
	b = append(b, `,"verdict":"`...)
	b = append(b, v.Verdict.String()...)
	b = append(b, `","reasons":[`...)
	for i, r := range v.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, r)
	}
	b = append(b, `],"explanation":`...)
	b = appendString(b, v.Explanation)
	b = append(b, `,"action":`...)
	b = appendString(b, v.Action)
	b = append(b, `,"model_version":`...)
	b = appendString(b, v.ModelVersion)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends a JSON string, escaping like encoding/json
// (including <, > and & as \u003c etc.).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
