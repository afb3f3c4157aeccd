package cache

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/stratacache/cache/codec"
)

// SnapshotOptions says how a snapshot encodes keys and values. The zero
// value encodes both with msgpack. Loading needs the options the snapshot
// was saved with; other formats are rejected with [ErrBadSnapshot].
type SnapshotOptions struct {
	// KeyFormat and ValueFormat pick the codec (see package codec) for
	// keys and values. 0 means codec.FormatMsgpack. codec.FormatRaw works
	// only for a type that is exactly string or []byte.
	KeyFormat, ValueFormat codec.Format
}

// SnapshotInfo describes a snapshot that was saved or loaded.
type SnapshotInfo struct {
	// Entries is the number of entries written by a save, or stored by a
	// load.
	Entries int
	// Expired counts, for a load, the saved entries left out because
	// their lifetime ran out between the save and the load.
	Expired int
	// Bytes is the size of the snapshot.
	Bytes int64
	// SavedAt is the wall-clock time of the save, on the saving cache's
	// Options.Clock (the system clock if nil).
	SavedAt time.Time
}

// ErrBadSnapshot is wrapped by every error a load returns because the
// snapshot itself is wrong: not a snapshot, another version, truncated,
// damaged, or saved with other SnapshotOptions. The cache is unchanged
// when a load fails.
var ErrBadSnapshot = errors.New("bad snapshot")

// SaveSnapshot writes the cache's live entries to w, with their remaining
// lifetimes, how recently each was written, its rank in its shard's
// eviction order and, under TinyLFU, its frequency estimate, in the
// format described in docs/snapshot.md. Negative entries are not saved.
// Each shard's buffered reads reach its policy first, so the ranks
// include the latest reads.
//
// It runs alongside normal traffic without stopping it: each shard is
// copied under its shared lock, one at a time, and encoded with no lock
// held. Each shard is therefore saved as it was at one moment, but shards
// are saved at different moments: a write that lands during the save may
// or may not be in it, and two writes to different keys may be saved
// without the earlier one. It holds one shard's entries at a time in
// memory, plus a write buffer; the cost is one codec Marshal per key and
// per value. It does not close or sync w. After Close it returns
// ErrClosed.
func (c *Cache[K, V]) SaveSnapshot(w io.Writer, opts SnapshotOptions) (SnapshotInfo, error) {
	defer runtime.KeepAlive(c) // w may take long; see New
	return saveSnapshot(c.c, w, opts)
}

// LoadSnapshot reads a snapshot written by SaveSnapshot from r and stores
// its entries with Set semantics: each counts in Stats.Sets, replaces any
// value already under its key (OnEvict hears ReasonReplaced) and may evict
// others to stay within bounds.
//
// Entries are stored coldest first, by their rank in the saving cache's
// policy order (shards merged by relative rank), so storing them rebuilds
// that order: LRU recency, reads included, and the hottest entries are
// stored last. When the snapshot does not fit under the bound, each key's
// saved TinyLFU frequency estimate, above the snapshot's median, is also
// fed back into the sketch before the key is stored, so that the hottest
// win admission and stay (docs/snapshot.md says why only then). Version 1
// snapshots, which carry neither, load from the least to the most
// recently written.
//
// The whole snapshot is read and checked first (format, version, every
// record, the record count and the checksum); if anything is wrong, the
// error wraps ErrBadSnapshot and the cache is untouched. An error reading
// r is returned as is, wrapped, and also leaves the cache untouched.
//
// Lifetimes continue across the gap: an entry saved with 10 minutes left
// and loaded 3 minutes later (by wall clock, on Options.Clock) gets 7, and
// one whose time ran out is skipped and counted in SnapshotInfo.Expired.
// An entry saved without a deadline is stored with NoTTL.
//
// Memory: the snapshot's bytes and all its decoded entries at once.
func (c *Cache[K, V]) LoadSnapshot(r io.Reader, opts SnapshotOptions) (SnapshotInfo, error) {
	defer runtime.KeepAlive(c)
	return loadSnapshot(c.c, r, opts)
}

// snapshotCodecs returns the codecs opts name for K and V.
func snapshotCodecs[K comparable, V any](opts SnapshotOptions) (codec.Codec[K], codec.Codec[V], error) {
	kc, err := codecFor[K](opts.KeyFormat, "KeyFormat")
	if err != nil {
		return nil, nil, err
	}
	vc, err := codecFor[V](opts.ValueFormat, "ValueFormat")
	if err != nil {
		return nil, nil, err
	}
	return kc, vc, nil
}

func codecFor[T any](f codec.Format, field string) (codec.Codec[T], error) {
	switch f {
	case 0, codec.FormatMsgpack:
		return codec.Msgpack[T](), nil
	case codec.FormatJSON:
		return codec.JSON[T](), nil
	case codec.FormatGob:
		return codec.Gob[T](), nil
	case codec.FormatRaw:
		if c, ok := any(codec.Raw[string]()).(codec.Codec[T]); ok {
			return c, nil
		}
		if c, ok := any(codec.Raw[[]byte]()).(codec.Codec[T]); ok {
			return c, nil
		}
		var zero T
		return nil, fmt.Errorf("cache: SnapshotOptions.%s is raw, which needs the type to be string or []byte, not %T: %w",
			field, zero, ErrInvalidOptions)
	}
	return nil, fmt.Errorf("cache: SnapshotOptions.%s is %v, which is not a known format: %w", field, f, ErrInvalidOptions)
}

// badSnapshot builds a load error that wraps ErrBadSnapshot.
func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("cache: snapshot: %s: %w", fmt.Sprintf(format, args...), ErrBadSnapshot)
}
