package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type testAddress struct {
	Street string
	City   string
	Zip    int
}

type testUser struct {
	ID      int64
	Name    string
	Email   string
	Tags    []string
	Scores  map[string]int
	Avatar  []byte
	Home    *testAddress
	Created time.Time
	Active  bool
	Balance float64
}

func sampleUser() testUser {
	return testUser{
		ID:      42,
		Name:    "Ada Lovelace",
		Email:   "ada@example.com",
		Tags:    []string{"admin", "math"},
		Scores:  map[string]int{"chess": 1800, "go": -3},
		Avatar:  []byte{0x89, 'P', 'N', 'G', 0, 0xff},
		Home:    &testAddress{Street: "12 St James's Square", City: "London", Zip: 1},
		Created: time.Date(2024, 3, 9, 12, 30, 45, 123456789, time.UTC),
		Active:  true,
		Balance: 1234.5,
	}
}

// userEqual compares users, treating times as equal when they denote the
// same instant (msgpack decodes into the local zone).
func userEqual(a, b testUser) bool {
	if !a.Created.Equal(b.Created) {
		return false
	}
	a.Created, b.Created = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// headerOf is the header a codec of format f writes for values of V.
func headerOf[V any](f Format) []byte { return AppendHeader(nil, f, TypeOf[V](0)) }

// hasSentinel reports whether err matches one of the decode sentinels.
func hasSentinel(err error) bool {
	for _, s := range []error{ErrCorrupt, ErrFormatMismatch, ErrTypeMismatch, ErrTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// codecFor builds the codec of format f for any V; Raw is tested apart
// because it only accepts byte and string types.
func codecFor[V any](t testing.TB, f Format) Codec[V] {
	t.Helper()
	switch f {
	case FormatMsgpack:
		return Msgpack[V]()
	case FormatJSON:
		return JSON[V]()
	case FormatGob:
		return Gob[V]()
	}
	t.Fatalf("no generic codec for %v", f)
	return nil
}

var structuredFormats = []Format{FormatMsgpack, FormatJSON, FormatGob}

type roundTripCase struct {
	name string
	run  func(t *testing.T, f Format)
}

// rt builds a round-trip case for value in; eq defaults to DeepEqual.
func rt[V any](name string, in V, eq func(a, b V) bool) roundTripCase {
	if eq == nil {
		eq = func(a, b V) bool { return reflect.DeepEqual(a, b) }
	}
	return roundTripCase{name: name, run: func(t *testing.T, f Format) {
		c := codecFor[V](t, f)
		if c.Format() != f {
			t.Fatalf("Format() = %v, want %v", c.Format(), f)
		}
		data, err := c.Marshal(in)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", in, err)
		}
		if h, err := ParseHeader(data); err != nil || h.Format != f || h.Version != headerV2 || h.Type != TypeOf[V](0) ||
			!bytes.Equal(data[:h.Len], headerOf[V](f)) {
			t.Fatalf("bad header %+v, %v in % x", h, err, data[:min(len(data), 32)])
		}
		if got, err := Detect(data); err != nil || got != f {
			t.Fatalf("Detect = %v, %v; want %v", got, err, f)
		}
		out, err := c.Unmarshal(data)
		if err != nil {
			t.Fatalf("Unmarshal: %v", err)
		}
		if !eq(in, out) {
			t.Fatalf("round trip mismatch\n in: %#v\nout: %#v", in, out)
		}
	}}
}

func TestRoundTrip(t *testing.T) {
	zero := 0
	seven := 7
	u := sampleUser()
	cases := []roundTripCase{
		rt("struct", u, userEqual),
		rt("struct zero", testUser{}, userEqual),
		rt("struct pointer", &u, func(a, b *testUser) bool { return userEqual(*a, *b) }),
		rt("struct pointer nil", (*testUser)(nil), nil),
		rt("int pointer", &seven, nil),
		rt("int pointer nil", (*int)(nil), nil),
		rt("map", map[string]int{"a": 1, "b": -2, "": 0}, nil),
		rt("map nil", map[string]int(nil), nil),
		rt("map empty", map[string]int{}, nil),
		rt("map of structs", map[string]testAddress{"x": {City: "Paris"}}, nil),
		rt("slice of structs", []testAddress{{City: "Rome"}, {Zip: 3}}, nil),
		rt("string", "héllo, wörld", nil),
		rt("string empty", "", nil),
		rt("int", 12345, nil),
		rt("int zero", zero, nil),
		rt("int negative", -98765, nil),
		rt("int64 max", int64(math.MaxInt64), nil),
		rt("uint64 max", uint64(math.MaxUint64), nil),
		rt("float", 3.25, nil),
		rt("bool", true, nil),
		rt("bytes", []byte{0, 1, 2, 0xfe, 0xff}, nil),
		rt("bytes nil", []byte(nil), nil),
		rt("bytes empty", []byte{}, func(a, b []byte) bool { return len(b) == 0 }),
		rt("time", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), func(a, b time.Time) bool { return a.Equal(b) }),
	}
	for _, f := range structuredFormats {
		for _, tc := range cases {
			t.Run(f.String()+"/"+tc.name, func(t *testing.T) { tc.run(t, f) })
		}
	}
}

type rawName string

func TestRawRoundTrip(t *testing.T) {
	check := func(t *testing.T, name string, got, want []byte) {
		t.Helper()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	b := Raw[[]byte]()
	hl := len(headerOf[[]byte](FormatRaw))
	for _, in := range [][]byte{nil, {}, []byte("x"), {0, 0xc1, 'S', 4, 1}, bytes.Repeat([]byte("ab"), 1000)} {
		data, err := b.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != hl+len(in) {
			t.Fatalf("len = %d, want %d", len(data), hl+len(in))
		}
		out, err := b.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "[]byte", out, in)
		if len(in) == 0 && out != nil {
			t.Errorf("empty value decoded to non-nil %#v", out)
		}
		if len(out) > 0 {
			data[hl] ^= 0xff
			if out[0] == data[hl] {
				t.Error("Unmarshal result aliases its input")
			}
		}
	}

	s := Raw[string]()
	for _, in := range []string{"", "hello", "\x00\xff"} {
		data, err := s.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Unmarshal(data)
		if err != nil || out != in {
			t.Errorf("string round trip: got %q, %v; want %q", out, err, in)
		}
	}

	n := Raw[rawName]()
	data, _ := n.Marshal("Ada")
	if out, err := n.Unmarshal(data); err != nil || out != "Ada" {
		t.Errorf("named string round trip: got %q, %v", out, err)
	}
	if n.Format() != FormatRaw || n.Format().String() != "raw" {
		t.Errorf("Format() = %v", n.Format())
	}
}

// RawHeader describes exactly what a raw codec writes and accepts, and
// declines every codec whose bytes are not header then value, or whose
// Unmarshal has an effect (a Budget).
func TestRawHeader(t *testing.T) {
	limited, err := New[[]byte](Options{Format: FormatRaw, MaxDecodeBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Codec[[]byte]{"Raw": Raw[[]byte](), "limited": limited} {
		h, maxBody, ok := RawHeader(c)
		if !ok {
			t.Fatalf("%s: RawHeader declined a raw codec", name)
		}
		v := []byte("0123456789")
		data, _ := c.Marshal(v)
		if !bytes.Equal(data, append(bytes.Clone(h), v...)) {
			t.Errorf("%s: Marshal = %q, want header %q then the value", name, data, h)
		}
		n := min(int(maxBody), len(v))
		if out, err := c.Unmarshal(data[:len(h)+n]); err != nil || !bytes.Equal(out, v[:n]) {
			t.Errorf("%s: a body of %d bytes: %q, %v", name, n, out, err)
		}
		if maxBody < int64(len(v)) {
			if _, err := c.Unmarshal(data[:len(h)+int(maxBody)+1]); !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s: a body past maxBody %d: %v, want ErrTooLarge", name, maxBody, err)
			}
		}
		h[0] ^= 0xff // a copy: the codec's own header is unchanged
		if again, _ := c.Marshal(v); !bytes.Equal(again, data) {
			t.Errorf("%s: changing the returned header changed Marshal's output", name)
		}
	}
	if h, _, ok := RawHeader(Raw[string]()); !ok || !bytes.Equal(h, headerOf[string](FormatRaw)) {
		t.Errorf("Raw[string]: %q, %v", h, ok)
	}
	budgeted, err := New[[]byte](Options{Format: FormatRaw, Budget: NewBudget(100)})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Codec[[]byte]{"budget": budgeted, "msgpack": Msgpack[[]byte](), "json": JSON[[]byte]()} {
		if _, _, ok := RawHeader(c); ok {
			t.Errorf("%s: RawHeader accepted it", name)
		}
	}
}

// foreignCodec is a Codec of another package's making, for HeaderOf.
type foreignCodec struct{ Codec[string] }

// HeaderOf returns exactly the header each codec of the package writes
// before every body, so that a store can keep bodies alone, and declines
// codecs it did not make.
func TestHeaderOf(t *testing.T) {
	budgeted, err := New[string](Options{Format: FormatMsgpack, Budget: NewBudget(1 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(allStringCodecs(), budgeted) {
		h, ok := HeaderOf(c)
		if !ok {
			t.Fatalf("%v: HeaderOf declined a codec of this package", c.Format())
		}
		if parsed, err := ParseHeader(h); err != nil || parsed.Len != len(h) || parsed.Format != c.Format() {
			t.Errorf("%v: header %q parses as %+v, %v", c.Format(), h, parsed, err)
		}
		for _, v := range []string{"", "Ada", strings.Repeat("x", 300)} {
			data, err := c.Marshal(v)
			if err != nil || !bytes.HasPrefix(data, h) {
				t.Fatalf("%v: Marshal(%q) = %q, %v; want header %q first", c.Format(), v, data, err, h)
			}
			body := data[len(h):]
			out, err := c.Unmarshal(append(bytes.Clone(h), body...))
			if err != nil || out != v {
				t.Errorf("%v: header then body of %q: %q, %v", c.Format(), v, out, err)
			}
		}
		h[0] ^= 0xff
		if again, _ := HeaderOf(c); again[0] == h[0] {
			t.Errorf("%v: changing the returned header changed the codec's", c.Format())
		}
	}
	if h, ok := HeaderOf[string](foreignCodec{Raw[string]()}); ok || h != nil {
		t.Errorf("a codec of another package: %q, %v; want nil, false", h, ok)
	}
}

// allStringCodecs returns one codec of each format for string values, the
// one type every codec supports.
func allStringCodecs() []Codec[string] {
	return []Codec[string]{Msgpack[string](), JSON[string](), Gob[string](), Raw[string]()}
}

func TestFormatMismatch(t *testing.T) {
	for _, enc := range allStringCodecs() {
		for _, dec := range allStringCodecs() {
			name := fmt.Sprintf("%v_to_%v", enc.Format(), dec.Format())
			t.Run(name, func(t *testing.T) {
				data, err := enc.Marshal("some value")
				if err != nil {
					t.Fatal(err)
				}
				got, err := dec.Unmarshal(data)
				if enc.Format() == dec.Format() {
					if err != nil || got != "some value" {
						t.Fatalf("same format: got %q, %v", got, err)
					}
					return
				}
				if err == nil {
					t.Fatalf("decoded %q from %v bytes without error", got, enc.Format())
				}
				if !errors.Is(err, ErrFormatMismatch) || errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %q should match ErrFormatMismatch only", err)
				}
				msg := err.Error()
				for _, want := range []string{"codec: ", enc.Format().String(), dec.Format().String(), "string"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not mention %q", msg, want)
					}
				}
				if !strings.HasPrefix(msg, "codec: "+dec.Format().String()+": decode string: ") {
					t.Errorf("error %q has the wrong prefix", msg)
				}
				if got != "" {
					t.Errorf("returned %q alongside the error, want zero value", got)
				}
			})
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	valid, err := Msgpack[string]().Marshal("x")
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, b byte) []byte {
		d := bytes.Clone(valid)
		d[i] = b
		return d
	}
	tests := []struct {
		name     string
		data     []byte
		sentinel error
		contains string
	}{
		{"nil", nil, ErrCorrupt, "empty input"},
		{"empty", []byte{}, ErrCorrupt, "empty input"},
		{"one byte", valid[:1], ErrCorrupt, "truncated header: 1 of 4 bytes"},
		{"three bytes", valid[:3], ErrCorrupt, "truncated header: 3 of 4 bytes"},
		{"bad magic 0", with(0, 0xc0), ErrCorrupt, "bad magic"},
		{"bad magic 1", with(1, 's'), ErrCorrupt, "bad magic"},
		{"bare json", []byte(`"x"`), ErrCorrupt, "truncated header"},
		{"bare json object", []byte(`{"a":1}`), ErrCorrupt, "bad magic 0x7b 0x22"},
		{"format zero", with(2, 0), ErrFormatMismatch, "unknown format id 0"},
		{"format unknown", with(2, 200), ErrFormatMismatch, "unknown format id 200"},
		{"version zero", with(3, 0), ErrFormatMismatch, "unsupported msgpack header version 0"},
		{"version future", with(3, 3), ErrFormatMismatch, "unsupported msgpack header version 3"},
		{"version 1", with(3, 1), ErrFormatMismatch, "header version 1 records no type"},
		{"fingerprint cut", valid[:11], ErrCorrupt, "type fingerprint cut short"},
		{"schema cut", valid[:12], ErrCorrupt, "schema is not a 32-bit uvarint"},
		{"name cut", valid[:14], ErrCorrupt, "type name cut short"},
	}
	c := Msgpack[string]()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Unmarshal(tt.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %q does not match %v", err, tt.sentinel)
			}
			if !strings.HasPrefix(err.Error(), "codec: msgpack: decode string: ") || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q: want prefix %q and %q", err, "codec: msgpack: decode string: ", tt.contains)
			}
			if _, derr := Detect(tt.data); tt.name != "version 1" && !errors.Is(derr, tt.sentinel) {
				t.Errorf("Detect error %v does not match %v", derr, tt.sentinel)
			}
		})
	}
}

func TestFormatString(t *testing.T) {
	want := map[Format]string{
		FormatMsgpack: "msgpack", FormatJSON: "json", FormatGob: "gob", FormatRaw: "raw",
		0: "Format(0)", 9: "Format(9)",
	}
	for f, s := range want {
		if f.String() != s {
			t.Errorf("Format(%d).String() = %q, want %q", uint8(f), f.String(), s)
		}
	}
	if Default[int]().Format() != FormatMsgpack {
		t.Error("Default is not msgpack")
	}
}

// encodedUsers returns a sample user encoded by each structured codec.
func encodedUsers(t *testing.T) map[Format][]byte {
	out := map[Format][]byte{}
	for _, f := range structuredFormats {
		data, err := codecFor[testUser](t, f).Marshal(sampleUser())
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

func TestTruncated(t *testing.T) {
	for f, data := range encodedUsers(t) {
		c := codecFor[testUser](t, f)
		for n := 0; n < len(data); n++ {
			u, err := c.Unmarshal(data[:n])
			if err == nil {
				t.Fatalf("%v: %d of %d bytes decoded without error", f, n, len(data))
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v: %d of %d bytes: error %q does not match ErrCorrupt", f, n, len(data), err)
			}
			if !userEqual(u, testUser{}) {
				t.Fatalf("%v: non-zero value returned with error", f)
			}
		}
	}

	// Raw has no length of its own: any cut past the header is a valid,
	// shorter value; only a cut header is detected.
	raw := Raw[[]byte]()
	data, _ := raw.Marshal([]byte("payload"))
	hl := len(headerOf[[]byte](FormatRaw))
	for n := 0; n < len(data); n++ {
		out, err := raw.Unmarshal(data[:n])
		switch {
		case n < hl && !errors.Is(err, ErrCorrupt):
			t.Fatalf("raw: %d-byte header: err = %v", n, err)
		case n >= hl && (err != nil || !bytes.Equal(out, data[hl:n])):
			t.Fatalf("raw: %d bytes: got %q, %v", n, out, err)
		}
	}
}

func TestTrailingGarbage(t *testing.T) {
	for f, data := range encodedUsers(t) {
		c := codecFor[testUser](t, f)
		for _, extra := range [][]byte{{0}, []byte("x"), {0xc0}, bytes.Clone(data)} {
			_, err := c.Unmarshal(append(bytes.Clone(data), extra...))
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%v + % x: err = %v, want ErrCorrupt", f, extra[:min(4, len(extra))], err)
			}
		}
	}
}

func TestCorruptBody(t *testing.T) {
	tests := []struct {
		name string
		c    Codec[testUser]
		body string
		want string
	}{
		{"msgpack reserved byte", Msgpack[testUser](), "\xc1", "reserved type byte"},
		{"msgpack wrong type", Msgpack[testUser](), "\xa3abc", "msgpack: "},
		{"json syntax", JSON[testUser](), `{"ID":`, "unexpected end of JSON input"},
		{"json wrong type", JSON[testUser](), `{"ID":"x"}`, "cannot unmarshal string"},
		{"gob empty", Gob[testUser](), "", "empty body"},
		{"gob garbage", Gob[testUser](), "\x03\xff\xff\xff", "gob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := headerOf[testUser](tt.c.Format())
			data = append(data, tt.body...)
			_, err := tt.c.Unmarshal(data)
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrFormatMismatch) {
				t.Fatalf("err = %v, want ErrCorrupt only", err)
			}
			prefix := "codec: " + tt.c.Format().String() + ": decode codec.testUser: "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.want) ||
				!strings.HasSuffix(msg, ": codec: corrupt data") {
				t.Fatalf("error %q: want prefix %q, %q inside, sentinel at the end", msg, prefix, tt.want)
			}
		})
	}
}

// TestGarbage feeds random bytes, with and without a valid header, to every
// codec. Nothing may panic, and every error must carry a sentinel.
func TestGarbage(t *testing.T) {
	seed := uint64(1)
	next := func() uint64 { // xorshift: deterministic, no global state
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
	decoders := map[string]func([]byte) error{
		"msgpack": func(b []byte) error { _, err := Msgpack[testUser]().Unmarshal(b); return err },
		"msgpack-any": func(b []byte) error {
			_, err := Msgpack[any]().Unmarshal(b)
			return err
		},
		"json": func(b []byte) error { _, err := JSON[testUser]().Unmarshal(b); return err },
		"gob":  func(b []byte) error { _, err := Gob[testUser]().Unmarshal(b); return err },
		"raw":  func(b []byte) error { _, err := Raw[[]byte]().Unmarshal(b); return err },
	}
	headers := map[string]func(Format) []byte{
		"msgpack": headerOf[testUser], "msgpack-any": headerOf[any], "json": headerOf[testUser],
		"gob": headerOf[testUser], "raw": headerOf[[]byte],
	}
	formats := []Format{FormatMsgpack, FormatMsgpack, FormatJSON, FormatGob, FormatRaw}
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	for i := 0; i < iters; i++ {
		buf := make([]byte, next()%64)
		for j := range buf {
			buf[j] = byte(next())
		}
		for name, dec := range decoders {
			for k, f := range formats {
				data := buf
				if k > 0 || i%2 == 0 {
					data = append(headers[name](f), buf...)
				}
				err := dec(data)
				if err == nil {
					continue
				}
				if !hasSentinel(err) {
					t.Fatalf("%s: % x: error %q carries no sentinel", name, data, err)
				}
				if !strings.HasPrefix(err.Error(), "codec: ") {
					t.Fatalf("%s: error %q lacks the codec: prefix", name, err)
				}
			}
		}
	}
}

func TestMarshalDoesNotAliasPool(t *testing.T) {
	c := Msgpack[testUser]()
	first, err := c.Marshal(sampleUser())
	if err != nil {
		t.Fatal(err)
	}
	keep := bytes.Clone(first)
	other := testUser{Name: strings.Repeat("z", 100), Tags: []string{"q"}}
	for i := 0; i < 100; i++ {
		if _, err := c.Marshal(other); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(first, keep) {
		t.Fatal("a later Marshal overwrote an earlier result")
	}
}

func TestUnmarshalDoesNotAliasInput(t *testing.T) {
	for f, data := range encodedUsers(t) {
		c := codecFor[testUser](t, f)
		u, err := c.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data {
			data[i] = 0
		}
		if !userEqual(u, sampleUser()) {
			t.Errorf("%v: decoded value changed when its input was overwritten", f)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	_, err := JSON[float64]().Marshal(math.NaN())
	if err == nil || !strings.HasPrefix(err.Error(), "codec: json: encode float64: ") {
		t.Errorf("json NaN: err = %v", err)
	}
	_, err = Msgpack[chan int]().Marshal(make(chan int))
	if err == nil || !strings.HasPrefix(err.Error(), "codec: msgpack: encode chan int: ") {
		t.Errorf("msgpack chan: err = %v", err)
	}
	_, err = Gob[func()]().Marshal(func() {})
	if err == nil || !strings.HasPrefix(err.Error(), "codec: gob: encode func(): ") {
		t.Errorf("gob func: err = %v", err)
	}
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrFormatMismatch) {
		t.Errorf("encode error %q matches a decode sentinel", err)
	}
}

type panicky struct{}

func (*panicky) UnmarshalJSON([]byte) error { panic("boom") }
func (*panicky) GobDecode([]byte) error     { panic("boom") }
func (panicky) GobEncode() ([]byte, error)  { return []byte{1}, nil }

func TestDecoderPanicBecomesError(t *testing.T) {
	for _, c := range []Codec[panicky]{JSON[panicky](), Gob[panicky]()} {
		data := headerOf[panicky](c.Format())
		if c.Format() == FormatJSON {
			data = append(data, "{}"...)
		} else {
			enc, err := c.Marshal(panicky{})
			if err != nil {
				t.Fatal(err)
			}
			data = enc
		}
		_, err := c.Unmarshal(data)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "boom") {
			t.Errorf("%v: err = %v, want ErrCorrupt mentioning the panic", c.Format(), err)
		}
	}
}

// TestConcurrent shares one codec of each format across goroutines; run
// with -race it checks the pooled buffers and decoders.
func TestConcurrent(t *testing.T) {
	codecs := []Codec[testUser]{Msgpack[testUser](), JSON[testUser](), Gob[testUser]()}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				u := sampleUser()
				u.ID = int64(g*1000 + i)
				u.Tags = append(u.Tags, strings.Repeat("t", i))
				for _, c := range codecs {
					data, err := c.Marshal(u)
					if err != nil {
						t.Error(err)
						return
					}
					got, err := c.Unmarshal(data)
					if err != nil || !userEqual(got, u) {
						t.Errorf("%v: concurrent round trip: %v", c.Format(), err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
