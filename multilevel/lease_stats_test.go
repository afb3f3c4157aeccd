package multilevel

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache/codec"
)

// A read waiting on another instance's lease that then finds a value
// written for another type counts it as a type mismatch, as a read that
// finds it straight away does, not as a decode error.
func TestLeaseWaitCountsATypeMismatchAsOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := newMemory(t, nil)
		ctx := context.Background()
		lease := []byte(leaseMagic + "other.1")
		if ok, err := ms.TryLease(ctx, "ns:k", lease, time.Minute); !ok || err != nil {
			t.Fatalf("TryLease = %v, %v", ok, err)
		}
		c := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: (&loadCounter{}).load,
			Lease: LeaseOptions{Enabled: true, Wait: time.Second, Poll: time.Second}})
		done := make(chan string)
		go func() {
			v, err := c.Get(ctx, "k")
			if err != nil {
				t.Errorf("Get = %v", err)
			}
			done <- v
		}()
		synctest.Wait() // the Get waits on the other instance's lease
		// The other instance, of another release, stores an int.
		data, err := codec.Msgpack[int]().Marshal(7)
		if err != nil {
			t.Fatal(err)
		}
		if err := ms.Set(ctx, "ns:k", data, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := ms.Publish(ctx, Message{Namespace: "ns", Key: "ns:k", Sender: "other"}); err != nil {
			t.Fatal(err)
		}
		if v := <-done; v != "v:k" {
			t.Fatalf("Get = %q, want the loaded v:k", v)
		}
		st := c.Stats().L2
		if st.TypeMismatches != 1 || st.DecodeErrors != 0 {
			t.Fatalf("L2.TypeMismatches = %d, DecodeErrors = %d; want 1 and 0", st.TypeMismatches, st.DecodeErrors)
		}
	})
}
