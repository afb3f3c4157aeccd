package multilevel

import (
	"context"
	"errors"
	"testing"

	"github.com/stratacache/cache/codec"
)

// Two releases of one program during a rolling deploy (issue 21 item 5):
// the old one stores accounts with a 64-bit balance, the new one reads them
// with another structure.
type accountOld struct {
	Name    string
	Balance int64
}

type accountNew struct {
	FullName string
	Balance  int32
}

// A value written for another type is a miss: the reader loads its own,
// overwrites the store's, and counts a type mismatch, never an L2 hit.
// Before headers recorded types, the new release decoded the old bytes
// into an empty name and a truncated balance, counted a hit, and kept
// that in its L1.
func TestValueOfAnotherTypeIsReloaded(t *testing.T) {
	ctx := context.Background()
	ms := newMemory(t, nil)
	old := mustNew(t, Options[string, accountOld]{Store: ms, Namespace: "acct", NoInvalidation: true})
	if err := old.Set(ctx, "ada", accountOld{Name: "Ada", Balance: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	loads := 0
	fresh := mustNew(t, Options[string, accountNew]{Store: ms, Namespace: "acct", NoInvalidation: true,
		Load: func(context.Context, string) (accountNew, error) {
			loads++
			return accountNew{FullName: "Ada Lovelace", Balance: 12}, nil
		}})
	got, err := fresh.Get(ctx, "ada")
	if err != nil || got != (accountNew{FullName: "Ada Lovelace", Balance: 12}) || loads != 1 {
		t.Fatalf("Get = %+v, %v after %d loads; want the loader's value", got, err, loads)
	}
	st := fresh.Stats().L2
	if st.TypeMismatches != 1 || st.Hits != 0 || st.DecodeErrors != 0 || st.Writes != 1 {
		t.Fatalf("stats %+v: want 1 type mismatch, 1 write, no hit, no decode error", st)
	}
	raw, _ := ms.Get(ctx, "acct:ada")
	if v, err := codec.Msgpack[accountNew]().Unmarshal(raw); err != nil || v.FullName != "Ada Lovelace" {
		t.Fatalf("store holds %q after the reload (%v)", raw, err)
	}
	// And the old release, reading the new bytes, does the same.
	old.c.l1.Delete("ada")
	if _, err := old.Get(ctx, "ada"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old release read the new bytes: %v", err)
	}
	if st := old.Stats().L2; st.TypeMismatches != 1 || st.Deletes != 1 {
		t.Fatalf("old release stats %+v: want 1 type mismatch and the bytes dropped", st)
	}
}

// Options.Schema tells apart values of one structure whose meaning
// changed; bytes with the header of the previous release (no type) are a
// decode error, reloaded the same way.
func TestSchemaAndUntypedBytesAreReloaded(t *testing.T) {
	ctx := context.Background()
	ms := newMemory(t, nil)
	v1 := mustNew(t, Options[string, int64]{Store: ms, Namespace: "price", NoInvalidation: true, Schema: 1})
	if err := v1.Set(ctx, "tea", 350); err != nil { // euro cents
		t.Fatal(err)
	}
	untyped := []byte{0xC1, 'S', byte(codec.FormatMsgpack), 1, 0x07} // 7, as the previous release wrote it
	if err := ms.Set(ctx, "price:milk", untyped, 0); err != nil {
		t.Fatal(err)
	}
	v2 := mustNew(t, Options[string, int64]{Store: ms, Namespace: "price", NoInvalidation: true, Schema: 2,
		Load: func(_ context.Context, k string) (int64, error) { return int64(len(k)), nil }})
	mustGet(t, v2, "tea", int64(3))
	mustGet(t, v2, "milk", int64(4))
	if st := v2.Stats().L2; st.TypeMismatches != 1 || st.DecodeErrors != 1 || st.Hits != 0 || st.Writes != 2 {
		t.Fatalf("stats %+v: want 1 type mismatch (schema), 1 decode error (untyped), 2 writes", st)
	}
	mustGet(t, v2, "tea", int64(3)) // from the L1 now
	v2.c.l1.Delete("tea")
	mustGet(t, v2, "tea", int64(3)) // from the store, as written by schema 2
	if st := v2.Stats().L2; st.Hits != 1 {
		t.Fatalf("stats %+v: want the rewritten value to hit", st)
	}
}

func TestSchemaOptionsValidated(t *testing.T) {
	marshal := func(v int) ([]byte, error) { return nil, nil }
	unmarshal := func([]byte) (int, error) { return 0, nil }
	for name, o := range map[string]Options[string, int]{
		"Schema":         {Marshal: marshal, Unmarshal: unmarshal, Schema: 2},
		"MaxDecodeBytes": {Marshal: marshal, Unmarshal: unmarshal, MaxDecodeBytes: 1},
	} {
		if _, err := New(o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s with Marshal: %v", name, err)
		}
	}
	if _, err := New(Options[string, int]{MaxDecodeBytes: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("negative MaxDecodeBytes: %v", err)
	}
}

// A value that would take more than MaxDecodeBytes to decode is a decode
// error, reloaded like any other.
func TestOversizedValueIsReloaded(t *testing.T) {
	ctx := context.Background()
	ms := newMemory(t, nil)
	big := mustNew(t, Options[string, []string]{Store: ms, Namespace: "n", NoInvalidation: true})
	if err := big.Set(ctx, "k", make([]string, 10_000)); err != nil {
		t.Fatal(err)
	}
	small := mustNew(t, Options[string, []string]{Store: ms, Namespace: "n", NoInvalidation: true, MaxDecodeBytes: 4096,
		Load: func(context.Context, string) ([]string, error) { return []string{"loaded"}, nil }})
	got, err := small.Get(ctx, "k")
	if err != nil || len(got) != 1 {
		t.Fatalf("Get = %d strings, %v", len(got), err)
	}
	if st := small.Stats().L2; st.DecodeErrors != 1 || st.TypeMismatches != 0 {
		t.Fatalf("stats %+v: want 1 decode error", st)
	}
}
