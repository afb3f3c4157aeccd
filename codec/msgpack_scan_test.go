package codec

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// TestScanAcceptsLibraryOutput checks that the pre-scan accepts everything
// the msgpack library writes, covering every type byte it can produce.
func TestScanAcceptsLibraryOutput(t *testing.T) {
	values := []any{
		nil, true, false,
		0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, uint64(math.MaxUint64),
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, int64(math.MinInt64),
		float32(1.5), 2.25, math.Inf(1),
		"", "short", strings.Repeat("s", 31), strings.Repeat("s", 32), strings.Repeat("s", 255),
		strings.Repeat("s", 256), strings.Repeat("s", 70000),
		[]byte{}, []byte{1}, bytes.Repeat([]byte{2}, 300), bytes.Repeat([]byte{3}, 70000),
		[]int{}, make([]int, 15), make([]int, 16), make([]int, 70000),
		map[string]int{}, map[string]int{"a": 1}, bigMap(16), bigMap(70000),
		time.Unix(1, 0), time.Unix(1<<33, 5), time.Unix(-1, 0), time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		[]any{[]any{[]any{map[string]any{"x": []any{nil}}}}},
		sampleUser(), []testUser{sampleUser(), {}},
	}
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if err := scanMsgpack(b); err != nil {
			t.Errorf("%T (% x...): %v", v, b[:min(len(b), 8)], err)
		}
		// Every proper prefix is incomplete and must be rejected.
		for _, n := range []int{0, len(b) / 2, len(b) - 1} {
			if n < len(b) && scanMsgpack(b[:n]) == nil {
				t.Errorf("%T: %d-byte prefix of %d accepted", v, n, len(b))
			}
		}
		if scanMsgpack(append(b, 0)) == nil {
			t.Errorf("%T: trailing byte accepted", v)
		}
	}
}

func bigMap(n int) map[int]bool {
	m := make(map[int]bool, n)
	for i := range n {
		m[i] = true
	}
	return m
}

// TestMsgpackHostileLengths feeds length prefixes that claim far more data
// than the input holds. The bare library would allocate for the claim (a
// 5-byte array32 header asks for hundreds of gigabytes and kills the
// process); the codec must reject them cheaply.
func TestMsgpackHostileLengths(t *testing.T) {
	bodies := map[string]string{
		"array32 max":       "\xdd\xff\xff\xff\xff",
		"array32 1M":        "\xdd\x00\x10\x00\x00",
		"array16":           "\xdc\xff\xff\xc0\xc0",
		"map32":             "\xdf\xff\xff\xff\xff",
		"map16 half":        "\xde\x00\x02\xc0\xc0\xc0",
		"bin32":             "\xc6\xff\xff\xff\xff\x00",
		"str32":             "\xdb\x7f\xff\xff\xff\x00",
		"ext32":             "\xc9\xff\xff\xff\xff\x01",
		"nested arrays":     strings.Repeat("\x91", 100) + "\xdd\xff\xff\xff\xff",
		"short fixext16":    "\xd8\x01" + strings.Repeat("\x00", 15),
		"array of nils":     "\xdd\x00\x00\x10\x00" + strings.Repeat("\xc0", 0x0fff),
		"truncated length":  "\xdb\xff",
		"truncated float64": "\xcb\x00\x00\x00",
	}
	var before, after runtime.MemStats
	for name, body := range bodies {
		runtime.ReadMemStats(&before)
		_, err1 := Msgpack[[]testUser]().Unmarshal(append(headerOf[[]testUser](FormatMsgpack), body...))
		_, err2 := Msgpack[any]().Unmarshal(append(headerOf[any](FormatMsgpack), body...))
		_, err3 := Msgpack[[]byte]().Unmarshal(append(headerOf[[]byte](FormatMsgpack), body...))
		runtime.ReadMemStats(&after)
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
			}
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", name, got, len(body))
		}
	}
}

func TestMsgpackDepthLimit(t *testing.T) {
	deep := func(n int) []byte {
		b := headerOf[any](FormatMsgpack)
		b = append(b, bytes.Repeat([]byte{0x91}, n)...) // n nested one-element arrays
		return append(b, 0xc0)
	}
	c := Msgpack[any]()
	if _, err := c.Unmarshal(deep(maxDepth)); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	_, err := c.Unmarshal(deep(maxDepth + 1))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "nesting deeper than 10000") {
		t.Errorf("depth %d: err = %v", maxDepth+1, err)
	}
	// A long flat array is not deep, however long.
	flat := headerOf[any](FormatMsgpack)
	flat = append(flat, 0xdc, 0x4e, 0x20) // array16 of 20000
	flat = append(flat, bytes.Repeat([]byte{0x91, 0x01}, 20000)...)
	if _, err := c.Unmarshal(flat); err != nil {
		t.Errorf("flat array: %v", err)
	}
}

func TestScanErrors(t *testing.T) {
	tests := map[string]string{
		"empty":          "",
		"reserved":       "\xc1",
		"missing value":  "\x82\x01\x02\x03",
		"short str":      "\xa5abc",
		"short fixext":   "\xd4\x01",
		"trailing":       "\x01\x02",
		"short uint64":   "\xcf\x00",
		"short ext8":     "\xc7\x05\x01\x00",
		"short map32len": "\xdf\x00\x00",
	}
	for name, b := range tests {
		if err := scanMsgpack([]byte(b)); err == nil {
			t.Errorf("%s: accepted % x", name, b)
		}
	}
}

func BenchmarkScanMsgpack(b *testing.B) {
	data, err := msgpack.Marshal(benchRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := scanMsgpack(data); err != nil {
			b.Fatal(err)
		}
	}
}
