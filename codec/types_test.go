package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// The two releases of issue 21's rolling deploy: the same Redis key,
// written by one and read by the other.
type accountV1 struct {
	Name    string
	Balance int64
}

type accountV2 struct {
	FullName string
	Balance  int32
}

// accountCopy has accountV1's structure under another name.
type accountCopy struct {
	Name    string
	Balance int64
}

// Values written for one type are refused by a codec of another, in every
// format, with an error naming both; before headers recorded the type,
// accountV2 decoded them as an empty name and a truncated balance.
func TestOtherTypeIsRefused(t *testing.T) {
	for _, f := range structuredFormats {
		data, err := codecFor[accountV1](t, f).Marshal(accountV1{Name: "Ada", Balance: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		got, err := codecFor[accountV2](t, f).Unmarshal(data)
		if !errors.Is(err, ErrTypeMismatch) {
			t.Fatalf("%v: decoded %+v, err %v; want ErrTypeMismatch", f, got, err)
		}
		if got != (accountV2{}) {
			t.Errorf("%v: returned %+v with the error", f, got)
		}
		msg := err.Error()
		if !strings.Contains(msg, "stored value is codec.accountV1 (schema 0") ||
			!strings.Contains(msg, "this codec reads codec.accountV2 (schema 0") {
			t.Errorf("%v: message %q does not name both types", f, msg)
		}
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrFormatMismatch) {
			t.Errorf("%v: %v matches another sentinel too", f, err)
		}
	}

	// Snapshots' case: int saved, int8 loaded (300 would become 44).
	data, _ := Msgpack[int]().Marshal(300)
	if v, err := Msgpack[int8]().Unmarshal(data); !errors.Is(err, ErrTypeMismatch) {
		t.Errorf("int decoded as int8: %d, %v", v, err)
	}
}

// Only structure counts: a type renamed, or defined again elsewhere with
// the same fields, keeps reading the values.
func TestSameStructureOtherNameDecodes(t *testing.T) {
	for _, f := range structuredFormats {
		data, err := codecFor[accountV1](t, f).Marshal(accountV1{Name: "Ada", Balance: 7})
		if err != nil {
			t.Fatal(err)
		}
		got, err := codecFor[accountCopy](t, f).Unmarshal(data)
		if err != nil || got != (accountCopy{Name: "Ada", Balance: 7}) {
			t.Errorf("%v: %+v, %v", f, got, err)
		}
	}
}

func TestSchemaMismatch(t *testing.T) {
	v1, _ := New[accountV1](Options{Schema: 1})
	v2, _ := New[accountV1](Options{Schema: 2})
	data, err := v1.Marshal(accountV1{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Unmarshal(data); !errors.Is(err, ErrTypeMismatch) ||
		!strings.Contains(err.Error(), "(schema 1,") || !strings.Contains(err.Error(), "(schema 2,") {
		t.Errorf("schema 1 read as schema 2: %v", err)
	}
	if got, err := v1.Unmarshal(data); err != nil || got.Name != "Ada" {
		t.Errorf("same schema: %+v, %v", got, err)
	}
	if h, err := ParseHeader(data); err != nil || h.Type != TypeOf[accountV1](1) {
		t.Errorf("header %+v, %v", h, err)
	}
}

// Bytes written before headers recorded a type are refused by default,
// and read unchecked with AllowUntyped.
func TestUntypedHeader(t *testing.T) {
	for _, f := range structuredFormats {
		typed, err := codecFor[accountV1](t, f).Marshal(accountV1{Name: "Ada", Balance: 3})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ParseHeader(typed)
		old := append([]byte{magic0, magic1, byte(f), headerV1}, typed[h.Len:]...)

		_, err = codecFor[accountV1](t, f).Unmarshal(old)
		if !errors.Is(err, ErrFormatMismatch) || !strings.Contains(err.Error(), "header version 1 records no type") {
			t.Errorf("%v: untyped bytes: %v, want ErrFormatMismatch", f, err)
		}
		lenient, _ := New[accountV1](Options{Format: f, AllowUntyped: true})
		if got, err := lenient.Unmarshal(old); err != nil || got != (accountV1{Name: "Ada", Balance: 3}) {
			t.Errorf("%v: AllowUntyped: %+v, %v", f, got, err)
		}
		// AllowUntyped does not relax the check of typed bytes.
		other, _ := New[accountV2](Options{Format: f, AllowUntyped: true})
		if _, err := other.Unmarshal(typed); !errors.Is(err, ErrTypeMismatch) {
			t.Errorf("%v: AllowUntyped accepted another type: %v", f, err)
		}
		if hv, err := ParseHeader(old); err != nil || hv.Version != 1 || hv.Len != 4 || hv.Type != (Type{}) {
			t.Errorf("%v: version 1 header %+v, %v", f, hv, err)
		}
	}
}

type node struct {
	Value int
	Next  *node
	Kids  []node
}

type withUnexported struct {
	Name   string
	hidden int // no codec reads it, so the fingerprint ignores it
}

var _ = withUnexported{hidden: 1}

type withoutUnexported struct {
	Name string
}

type tagged struct {
	Name string `msgpack:"n"`
}

type inner struct{ X, Y int }
type outerValue struct{ In inner }
type outerPointer struct{ In *inner }

// The fingerprint follows structure: every change a codec would read
// differently changes it, anything else does not.
func TestFingerprintFollowsStructure(t *testing.T) {
	fp := func(t Type) uint64 { return t.Fingerprint }
	same := []struct {
		name string
		a, b uint64
	}{
		{"renamed type", fp(TypeOf[accountV1](0)), fp(TypeOf[accountCopy](0))},
		{"unexported field", fp(TypeOf[withUnexported](0)), fp(TypeOf[withoutUnexported](0))},
		{"named scalar", fp(TypeOf[time.Duration](0)), fp(TypeOf[int64](0))},
		{"schema apart", fp(TypeOf[accountV1](1)), fp(TypeOf[accountV1](2))},
	}
	for _, c := range same {
		if c.a != c.b {
			t.Errorf("%s: fingerprints differ", c.name)
		}
	}
	differ := []struct {
		name string
		a, b uint64
	}{
		{"field name and width", fp(TypeOf[accountV1](0)), fp(TypeOf[accountV2](0))},
		{"int and int8", fp(TypeOf[int](0)), fp(TypeOf[int8](0))},
		{"struct tag", fp(TypeOf[withoutUnexported](0)), fp(TypeOf[tagged](0))},
		{"array length", fp(TypeOf[[3]int](0)), fp(TypeOf[[4]int](0))},
		{"slice and array", fp(TypeOf[[]int](0)), fp(TypeOf[[4]int](0))},
		{"pointer", fp(TypeOf[outerValue](0)), fp(TypeOf[outerPointer](0))},
		{"map key", fp(TypeOf[map[string]int](0)), fp(TypeOf[map[int]int](0))},
		{"nesting", fp(TypeOf[[][]int](0)), fp(TypeOf[[]int](0))},
		{"custom type", fp(TypeOf[time.Time](0)), fp(TypeOf[struct{}](0))},
	}
	for _, c := range differ {
		if c.a == c.b {
			t.Errorf("%s: fingerprints equal", c.name)
		}
	}
	// A recursive type terminates and round-trips.
	c := Msgpack[node]()
	data, err := c.Marshal(node{Value: 1, Next: &node{Value: 2}, Kids: []node{{Value: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Unmarshal(data); err != nil || got.Next.Value != 2 || got.Kids[0].Value != 3 {
		t.Errorf("recursive type: %+v, %v", got, err)
	}
}

// The description behind the fingerprint is part of the stored format:
// if it changes, every value in every store becomes a mismatch. These
// values pin it; they are the first 8 bytes of the SHA-256 of "int64" and
// of `struct{"Name" string;"Balance" int64;}`, as sha256sum prints them.
func TestFingerprintIsStable(t *testing.T) {
	for _, c := range []struct {
		got, want uint64
	}{
		{TypeOf[int64](0).Fingerprint, 0xbc2229666b96007e},
		{TypeOf[accountV1](0).Fingerprint, 0xffd918bd0f02cd71},
	} {
		if c.got != c.want {
			t.Errorf("fingerprint %#x, pinned %#x", c.got, c.want)
		}
	}
}

func TestNewOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"format", func() error { _, err := New[int](Options{Format: 9}); return err }(), "Options.Format is Format(9)"},
		{"raw int", func() error { _, err := New[int](Options{Format: FormatRaw}); return err }(), "raw, which needs a string or byte slice type, not int"},
		{"budget", func() error { _, err := New[int](Options{MaxDecodeBytes: -1}); return err }(), "Options.MaxDecodeBytes is -1"},
	} {
		if tt.err == nil || !strings.HasPrefix(tt.err.Error(), "codec: ") || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, tt.err, tt.want)
		}
	}

	type page string
	type blob []byte
	pc, err := New[page](Options{Format: FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := pc.Marshal("<p>")
	if got, err := pc.Unmarshal(data); err != nil || got != "<p>" {
		t.Errorf("raw page: %q, %v", got, err)
	}
	bc, _ := New[blob](Options{Format: FormatRaw})
	data, _ = bc.Marshal(blob{1, 2})
	if got, err := bc.Unmarshal(data); err != nil || !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("raw blob: %v, %v", got, err)
	}
	if c, _ := New[int](Options{}); c.Format() != FormatMsgpack {
		t.Errorf("zero Options: %v", c.Format())
	}
}
