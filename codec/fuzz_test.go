package codec

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzRecord is the target type of the fuzzers: every kind of field the
// decoders treat differently, including an interface, a pointer and a
// recursive type, so that arbitrary input can reach deep into them.
type fuzzRecord struct {
	ID    int64
	Name  string
	Score float64
	Tags  []string
	Attrs map[string]int32
	Blob  []byte
	Child *fuzzChild
	When  time.Time
	Extra any
}

type fuzzChild struct {
	N     uint16
	Flags []bool
	Kids  []fuzzChild
}

func fuzzSeedRecords() []fuzzRecord {
	return []fuzzRecord{
		{},
		{
			ID: -5, Name: "seed", Score: 2.5, Tags: []string{"a", ""},
			Attrs: map[string]int32{"k": 7}, Blob: []byte{0, 0xff},
			Child: &fuzzChild{N: 3, Flags: []bool{true}, Kids: []fuzzChild{{N: 4}}},
			When:  time.Date(2020, 2, 29, 1, 2, 3, 4, time.UTC),
			Extra: "extra",
		},
		{Extra: map[string]any{"nested": []any{"x", true, nil}}},
	}
}

// fuzzUnmarshal is the body shared by the structured-codec fuzzers: decode
// arbitrary bytes; if that works, the value must survive a second round
// trip unchanged.
func fuzzUnmarshal(t *testing.T, c Codec[fuzzRecord], data []byte) {
	v, err := c.Unmarshal(data)
	if err != nil {
		if !hasSentinel(err) {
			t.Fatalf("error without sentinel: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "codec: ") {
			t.Fatalf("error without codec: prefix: %v", err)
		}
		if !equivalent(reflect.ValueOf(v), reflect.ValueOf(fuzzRecord{}), false) {
			t.Fatalf("non-zero value returned with error %v: %#v", err, v)
		}
		return
	}
	enc, err := c.Marshal(v)
	if err != nil {
		t.Fatalf("re-encoding a decoded value failed: %v\nvalue: %#v", err, v)
	}
	v2, err := c.Unmarshal(enc)
	if err != nil {
		t.Fatalf("decoding a re-encoded value failed: %v\nvalue: %#v", err, v)
	}
	if !equivalent(reflect.ValueOf(v), reflect.ValueOf(v2), c.Format() == FormatGob) {
		t.Fatalf("second round trip changed the value\nfirst:  %#v\nsecond: %#v", v, v2)
	}
}

// equivalent reports whether a and b hold the same data as far as a codec
// can tell: times compare as instants, floats by bit pattern (so NaN equals
// itself), and, when lenient is set for gob, nil and empty slices and maps
// are the same, as are a nil pointer and a pointer to a zero value.
func equivalent(a, b reflect.Value, lenient bool) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == reflect.TypeFor[time.Time]() {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float()) ||
			(math.IsNaN(a.Float()) && math.IsNaN(b.Float()))
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if lenient {
				return (a.IsNil() || a.Elem().IsZero()) && (b.IsNil() || b.Elem().IsZero())
			}
			return a.IsNil() == b.IsNil()
		}
		return equivalent(a.Elem(), b.Elem(), lenient)
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equivalent(a.Elem(), b.Elem(), lenient)
	case reflect.Slice:
		if !lenient && a.IsNil() != b.IsNil() {
			return false
		}
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equivalent(a.Index(i), b.Index(i), lenient) {
				return false
			}
		}
		return true
	case reflect.Map:
		if !lenient && a.IsNil() != b.IsNil() {
			return false
		}
		if a.Len() != b.Len() {
			return false
		}
		iter := a.MapRange()
		for iter.Next() {
			bv := b.MapIndex(iter.Key())
			if !bv.IsValid() || !equivalent(iter.Value(), bv, lenient) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !equivalent(a.Field(i), b.Field(i), lenient) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

// addSeeds adds valid encodings of the seed records plus the classic
// troublemakers: nothing, a bare header, another format's header.
func addSeeds(f *testing.F, c Codec[fuzzRecord]) {
	for _, r := range fuzzSeedRecords() {
		data, err := c.Marshal(r)
		if err != nil {
			if c.Format() == FormatGob {
				continue // gob needs gob.Register for maps inside interfaces
			}
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add(headerOf[fuzzRecord](c.Format()))
	f.Add(headerOf[fuzzRecord](FormatRaw))
	f.Add(headerOf[fuzzChild](c.Format()))
	f.Add([]byte{magic0, magic1, byte(c.Format()), headerV1, 0})
	f.Add([]byte{magic0, magic1, byte(c.Format()), headerV2 + 1, 0})
}

func FuzzMsgpackUnmarshal(f *testing.F) {
	c := Msgpack[fuzzRecord]()
	addSeeds(f, c)
	h := func(s string) []byte { return append(headerOf[fuzzRecord](FormatMsgpack), s...) }
	f.Add(h("\xdd\xff\xff\xff\xff"))                 // array32 claiming 4G elements
	f.Add(h("\x81\xa5Extra\xc7\x01\x05\x00"))        // unknown ext type in an interface
	f.Add(h("\x81\xa5Extra\x81\x81\x01\x02\x03"))    // map key that is itself a map
	f.Add(h("\x81\xa4When\xd6\xff\x00\x00\x00\x01")) // 32-bit timestamp
	f.Fuzz(func(t *testing.T, data []byte) { fuzzUnmarshal(t, c, data) })
}

func FuzzJSONUnmarshal(f *testing.F) {
	c := JSON[fuzzRecord]()
	addSeeds(f, c)
	h := func(s string) []byte { return append(headerOf[fuzzRecord](FormatJSON), s...) }
	f.Add(h(`{"When":"0000-01-01T00:00:00+23:59"}`))
	f.Add(h(`{"Score":1e400}`))
	f.Add(h(`{"Extra":[[[[[[[[[[1]]]]]]]]]]}`))
	f.Add(h(`{"Name":"\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzUnmarshal(t, c, data) })
}

func FuzzGobUnmarshal(f *testing.F) {
	c := Gob[fuzzRecord]()
	addSeeds(f, c)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzUnmarshal(t, c, data) })
}

func FuzzRawUnmarshal(f *testing.F) {
	b := Raw[[]byte]()
	s := Raw[string]()
	for _, v := range []string{"", "x", "\xc1S\x04\x01nested"} {
		data, _ := s.Marshal(v)
		f.Add(data)
	}
	f.Add([]byte{magic0, magic1, byte(FormatRaw)})
	f.Add(headerOf[string](FormatJSON))
	f.Add(headerOf[string](FormatRaw))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRaw(t, b, data)
		fuzzRaw(t, s, data)
	})
}

// fuzzRaw decodes data with c: an error carries a sentinel; a value is the
// body unchanged and survives a round trip.
func fuzzRaw[V []byte | string](t *testing.T, c Codec[V], data []byte) {
	v, err := c.Unmarshal(data)
	if err != nil {
		if !hasSentinel(err) {
			t.Fatalf("error without sentinel: %v", err)
		}
		return
	}
	h, err := ParseHeader(data)
	if err != nil {
		t.Fatalf("decoded bytes whose header does not parse: %v", err)
	}
	if string(v) != string(data[h.Len:]) {
		t.Fatalf("decoded %q from % x", v, data)
	}
	enc, err := c.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if v2, err := c.Unmarshal(enc); err != nil || string(v2) != string(v) {
		t.Fatalf("second round trip: %q, %v; want %q", v2, err, v)
	}
}

// FuzzDecodeBudget decodes arbitrary msgpack and JSON bodies into
// fuzzRecord with a 64 KiB budget: the worst case must bound the exact
// estimate (the fast path skips the estimate on its word), and a decode
// may allocate no more than the budget plus what reading the input costs.
func FuzzDecodeBudget(f *testing.F) {
	for _, r := range fuzzSeedRecords() {
		for _, c := range []Codec[fuzzRecord]{Msgpack[fuzzRecord](), JSON[fuzzRecord]()} {
			data, err := c.Marshal(r)
			if err != nil {
				f.Fatal(err)
			}
			h, _ := ParseHeader(data)
			f.Add(byte(c.Format()), data[h.Len:])
		}
	}
	f.Add(byte(FormatMsgpack), msgpackArray(3000, []byte{0x80}))
	f.Add(byte(FormatJSON), jsonArray(3000, "{}"))
	const budget = 64 << 10
	plan := newPlan(reflectTypeFor[fuzzRecord]())
	codecs := map[Format]Codec[fuzzRecord]{}
	for _, fm := range []Format{FormatMsgpack, FormatJSON} {
		c, err := New[fuzzRecord](Options{Format: fm, MaxDecodeBytes: budget})
		if err != nil {
			f.Fatal(err)
		}
		codecs[fm] = c
	}
	f.Fuzz(func(t *testing.T, format byte, body []byte) {
		fm := FormatMsgpack
		if format%2 == 0 {
			fm = FormatJSON
		}
		if fm == FormatMsgpack && scanMsgpack(body) == nil {
			est, _, _ := msgpackCost(plan, body, 1<<62)
			if w := plan.worst(len(body), msgpackModel); w < est {
				t.Fatalf("worst case %d below the estimate %d", w, est)
			}
		}
		if fm == FormatJSON {
			if est, _, err := jsonCost(plan, body, 1<<62); err == nil {
				if w := plan.worst(len(body), jsonModel); w < est {
					t.Fatalf("worst case %d below the estimate %d", w, est)
				}
			}
		}
		data := append(headerOf[fuzzRecord](fm), body...)
		var err error
		got := allocated(func() { _, err = codecs[fm].Unmarshal(data) })
		if err != nil && !hasSentinel(err) {
			t.Fatalf("error without sentinel: %v", err)
		}
		if got > budget+slack(len(data)) {
			t.Fatalf("%v: a %d-byte body allocated %d bytes under a %d-byte budget (err %v)", fm, len(body), got, budget, err)
		}
	})
}
