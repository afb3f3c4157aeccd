package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// msgpackArray is a msgpack array32 of n copies of elem.
func msgpackArray(n int, elem []byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0xdd}, uint32(n))
	return append(b, bytes.Repeat(elem, n)...)
}

func jsonArray(n int, elem string) []byte {
	return []byte("[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]")
}

// slack is what a refused decode may allocate besides nothing: the error,
// and for JSON the transient tokens of the walk, a few times the input.
func slack(input int) uint64 { return 64<<10 + 4*uint64(input) }

// Issue 21 item 6: a few megabytes of nils decoded into [][256]byte, or of
// empty maps decoded into interfaces, allocated hundreds of times their
// size. Now each is refused with ErrTooLarge, having allocated little
// more than its input, whatever the budget.
func TestCraftedInputsRefusedBeforeAllocating(t *testing.T) {
	const n = 1 << 20
	cases := []struct {
		name   string
		decode func(limit int64) (int, error)
	}{
		{"msgpack nils into [][256]byte", decodeWith[[][256]byte](FormatMsgpack, msgpackArray(n, []byte{0xc0}))},
		{"msgpack empty maps into any", decodeWith[any](FormatMsgpack, msgpackArray(n, []byte{0x80}))},
		{"msgpack empty arrays into [][]*[64]byte", decodeWith[[][]*[64]byte](FormatMsgpack, msgpackArray(n, []byte{0x91, 0x00}))},
		{"json nulls into [][256]byte", decodeWith[[][256]byte](FormatJSON, jsonArray(n, "null"))},
		{"json empty objects into any", decodeWith[any](FormatJSON, jsonArray(n, "{}"))},
		{"gob zero structs", gobZeros(n)},
	}
	for _, tc := range cases {
		for _, limit := range []int64{0, 1 << 20} { // the default, and a small one
			var size int
			var err error
			got := allocated(func() { size, err = tc.decode(limit) })
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s, budget %d: err = %v, want ErrTooLarge", tc.name, limit, err)
				continue
			}
			if got > slack(size) {
				t.Errorf("%s, budget %d: a %d-byte input allocated %d bytes before it was refused", tc.name, limit, size, got)
			}
			if !strings.Contains(err.Error(), "Options.MaxDecodeBytes") {
				t.Errorf("%s: error %q does not name the option", tc.name, err)
			}
		}
	}
}

// decodeWith returns a function that decodes body, behind a header for V,
// with a codec of format f and budget limit (0: the default).
func decodeWith[V any](f Format, body []byte) func(limit int64) (int, error) {
	data := append(headerOf[V](f), body...)
	return func(limit int64) (int, error) {
		c, err := New[V](Options{Format: f, MaxDecodeBytes: limit})
		if err != nil {
			return 0, err
		}
		_, err = c.Unmarshal(data)
		return len(data), err
	}
}

type bigZero struct{ A [256]byte }

// gobZeros is an honest gob encoding of n zero structs: gob sends none of
// their fields, so each costs a byte or two and decodes to 256.
func gobZeros(n int) func(limit int64) (int, error) {
	data, err := Gob[[]bigZero]().Marshal(make([]bigZero, n/4))
	if err != nil {
		panic(err)
	}
	return func(limit int64) (int, error) {
		c, err := New[[]bigZero](Options{Format: FormatGob, MaxDecodeBytes: limit})
		if err != nil {
			return 0, err
		}
		_, err = c.Unmarshal(data)
		return len(data), err
	}
}

type costRecord struct {
	ID    int64
	Name  string
	Tags  []string
	Attrs map[string]int32
	Next  *costRecord
	Extra any
	Blob  []byte
	Fixed [16]byte
}

// The estimate is an upper bound of what the decoders really allocate:
// for honest values and crafted ones, in msgpack and JSON, decoding with
// an unlimited budget allocates no more than the estimate says.
func TestEstimateBoundsAllocation(t *testing.T) {
	rec := costRecord{
		ID: 1, Name: strings.Repeat("n", 100), Tags: []string{"a", "bb", strings.Repeat("c", 1000)},
		Attrs: map[string]int32{"x": 1, "y": 2}, Next: &costRecord{Name: "next"},
		Extra: map[string]any{"k": []any{1, "two", 3.5}}, Blob: bytes.Repeat([]byte{7}, 5000),
	}
	recs := make([]costRecord, 200)
	for i := range recs {
		recs[i] = rec
	}
	type input struct {
		name  string
		check func(t *testing.T, f Format)
	}
	inputs := []input{
		{"record", boundCase(rec)},
		{"200 records", boundCase(recs)},
		{"map of strings", boundCase(map[string]string{"a": strings.Repeat("v", 3000), "b": "w"})},
		{"nested slices", boundCase([][]int{make([]int, 1000), make([]int, 3), nil})},
		{"any", boundCase[any](map[string]any{"a": []any{map[string]any{}, "x", 1.5, nil, []any{}}})},
		{"long string", boundCase(strings.Repeat("s", 3<<20))},
		{"byte arrays", boundCase(make([][256]byte, 1000))},
		{"pointer chain", boundCase(&rec)},
		{"nils into [][256]byte", rawBoundCase[[][256]byte](msgpackArray(5000, []byte{0xc0}), jsonArray(5000, "null"))},
		{"empty maps into any", rawBoundCase[any](msgpackArray(5000, []byte{0x80}), jsonArray(5000, "{}"))},
		{"empty maps into []any", rawBoundCase[[]any](msgpackArray(5000, []byte{0x80}), jsonArray(5000, "{}"))},
		{"unknown fields", rawBoundCase[costRecord](
			append([]byte{0x81, 0xa1, 'Z'}, msgpackArray(3000, []byte{0x80})...),
			[]byte(`{"Z":`+string(jsonArray(3000, "{}"))+`}`))},
	}
	for _, in := range inputs {
		for _, f := range []Format{FormatMsgpack, FormatJSON} {
			t.Run(in.name+"/"+f.String(), func(t *testing.T) { in.check(t, f) })
		}
	}
}

// boundCase checks the bound on the encoding of v.
func boundCase[V any](v V) func(t *testing.T, f Format) {
	return func(t *testing.T, f Format) {
		c, _ := New[V](Options{Format: f})
		data, err := c.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		checkBound[V](t, f, data)
	}
}

// rawBoundCase checks the bound on crafted bodies, one per format.
func rawBoundCase[V any](mp, js []byte) func(t *testing.T, f Format) {
	return func(t *testing.T, f Format) {
		body := mp
		if f == FormatJSON {
			body = js
		}
		checkBound[V](t, f, append(headerOf[V](f), body...))
	}
}

func checkBound[V any](t *testing.T, f Format, data []byte) {
	t.Helper()
	c, _ := New[V](Options{Format: f, MaxDecodeBytes: 1 << 62})
	h, _ := ParseHeader(data)
	body := data[h.Len:]
	p := newPlan(reflectTypeFor[V]())
	scan, md := msgpackCost, msgpackModel
	if f == FormatJSON {
		scan, md = jsonCost, jsonModel
	}
	est, over, err := scan(p, body, 1<<62)
	if err != nil || over {
		t.Fatalf("estimate: %v (over %v)", err, over)
	}
	if w := p.worst(len(body), md); w < est {
		t.Errorf("worst case %d below the estimate %d", w, est)
	}
	c.Unmarshal(data) // warm the pools and the decoders' type caches
	var derr error
	got := allocated(func() { _, derr = c.Unmarshal(data) })
	if got > uint64(est)+4<<10 {
		t.Errorf("decoding %d bytes allocated %d, estimated %d (err %v)", len(body), got, est, derr)
	}
	t.Logf("%d-byte body: estimated %d, allocated %d (err %v)", len(body), est, got, derr)
}

// A Budget bounds a batch of decodes, and each takes its estimate from it.
func TestBudgetIsShared(t *testing.T) {
	for _, f := range []Format{FormatMsgpack, FormatJSON, FormatGob, FormatRaw} {
		b := NewBudget(10_000)
		c, err := New[string](Options{Format: f, Budget: b})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := c.Marshal(strings.Repeat("x", 500))
		n := 0
		for ; n < 100; n++ {
			if _, err := c.Unmarshal(data); err != nil {
				if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "Options.Budget") {
					t.Errorf("%v: err %v", f, err)
				}
				break
			}
		}
		// Each decode costs 500 to 4 × 500 bytes, plus the string itself.
		if n < 2 || n > 20 || b.Left() < 0 || b.Left() > 10_000 {
			t.Errorf("%v: %d decodes within a 10000-byte budget, %d left", f, n, b.Left())
		}
	}
}

func reflectTypeFor[V any]() reflect.Type { return reflect.TypeFor[V]() }
