package cache

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/stratacache/cache/codec"
)

// SnapshotOptions says how a snapshot encodes keys and values, and what a
// load accepts. The zero value encodes both with msgpack and loads with
// the default limits. Loading needs the formats and Schema the snapshot
// was saved with, and the same K and V; anything else is rejected with
// [ErrBadSnapshot].
type SnapshotOptions struct {
	// KeyFormat and ValueFormat pick the codec (see package codec) for
	// keys and values. 0 means codec.FormatMsgpack. codec.FormatRaw works
	// only for a type that is exactly string or []byte.
	KeyFormat, ValueFormat codec.Format

	// Schema is recorded in the snapshot with the fingerprints of K's and
	// V's structure (see codec.Type); a load with another Schema, or into
	// a cache of other K or V, fails with an error matching both
	// ErrBadSnapshot and codec.ErrTypeMismatch. Bump it when V changes
	// meaning without changing structure.
	Schema uint32

	// AllowUntyped, for loads, accepts snapshots of versions 1 to 3,
	// which record no types, as K and V unchecked. Set it for the first
	// start of an upgraded program whose K and V have not changed; by
	// default such snapshots are rejected, matching
	// codec.ErrFormatMismatch.
	AllowUntyped bool

	// MaxBytes bounds, for loads, the size of the snapshot read; a larger
	// one is rejected, matching codec.ErrTooLarge, after reading at most
	// MaxBytes+1 bytes (a file: none). 0 means DefaultMaxSnapshotBytes.
	MaxBytes int64

	// MaxDecodeBytes bounds, for loads, the memory the decoded records
	// (keys, values and their bookkeeping) may take, as estimated before
	// each is decoded (see package codec); over it, the load fails
	// matching codec.ErrTooLarge. 0 means 16 times the snapshot's size
	// plus 64 MiB.
	MaxDecodeBytes int64

	// AllowWritableByOthers, for LoadSnapshotFile, loads a file that
	// users other than its owner may write (mode bits 0o022). By default
	// such a file is refused: whoever can write it chooses the values the
	// cache serves.
	AllowWritableByOthers bool
}

// DefaultMaxSnapshotBytes is the largest snapshot a load reads when
// SnapshotOptions.MaxBytes is 0.
const DefaultMaxSnapshotBytes = 1 << 30

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
// eviction order (buffered reads applied first) and, under TinyLFU, its
// frequency estimate, in the format of docs/snapshot.md. Negative entries
// are not saved.
//
// It runs alongside traffic: each shard is copied under its lock,
// one at a time, and encoded with no lock held, so shards are saved at
// different moments (not a point-in-time snapshot). Memory: one shard's
// entries and a write buffer; cost: one codec Marshal per key and value.
// It does not close or sync w. After Close it returns ErrClosed.
func (c *Cache[K, V]) SaveSnapshot(w io.Writer, opts SnapshotOptions) (SnapshotInfo, error) {
	defer runtime.KeepAlive(c) // w may take long; see New
	return saveSnapshot(c.c, w, opts)
}

// LoadSnapshot reads a snapshot written by SaveSnapshot from r and stores
// its entries with Set semantics (counted in Stats.Sets, replacing what is
// there, evicting others to stay within bounds), coldest first, so that
// the saved policy order is rebuilt; TinyLFU's frequencies, and what it
// learned, are restored too (docs/snapshot.md).
//
// The whole snapshot is read and checked first; if anything is wrong the
// error wraps ErrBadSnapshot (or is r's error, wrapped) and the cache is
// untouched. It must record this cache's K and V and opts.Schema, within
// the limits SnapshotOptions sets on its size and decoded memory.
// Lifetimes continue across the gap, by wall clock (Options.Clock): an
// entry whose time ran out is skipped and counted in SnapshotInfo.Expired.
// Memory: the snapshot's bytes and all its decoded entries at once.
func (c *Cache[K, V]) LoadSnapshot(r io.Reader, opts SnapshotOptions) (SnapshotInfo, error) {
	defer runtime.KeepAlive(c)
	return loadSnapshot(c.c, r, opts)
}

// validate checks the fields of opts that no codec checks.
func (opts *SnapshotOptions) validate() error {
	switch {
	case opts.MaxBytes < 0:
		return fmt.Errorf("cache: SnapshotOptions.MaxBytes is %d; it must be 0 (default) or positive: %w", opts.MaxBytes, ErrInvalidOptions)
	case opts.MaxDecodeBytes < 0:
		return fmt.Errorf("cache: SnapshotOptions.MaxDecodeBytes is %d; it must be 0 (default) or positive: %w", opts.MaxDecodeBytes, ErrInvalidOptions)
	}
	return nil
}

// snapshotCodec is the codec of a snapshot's keys or values, with the type
// it records and the header that records store without.
type snapshotCodec[T any] struct {
	codec.Codec[T]
	typ    codec.Type
	header []byte // codec.AppendHeader of the codec's format and typ
}

// newSnapshotCodec returns the codec of format f for T; budget, for loads,
// bounds what its decodes allocate.
func newSnapshotCodec[T any](f codec.Format, field string, opts *SnapshotOptions, budget *codec.Budget) (*snapshotCodec[T], error) {
	if f != 0 && f != codec.FormatMsgpack && f != codec.FormatJSON && f != codec.FormatGob && f != codec.FormatRaw {
		return nil, fmt.Errorf("cache: SnapshotOptions.%s is %v, which is not a known format: %w", field, f, ErrInvalidOptions)
	}
	if f == codec.FormatRaw {
		var zero T
		switch any(zero).(type) {
		case string, []byte:
		default:
			return nil, fmt.Errorf("cache: SnapshotOptions.%s is raw, which needs the type to be string or []byte, not %T: %w",
				field, zero, ErrInvalidOptions)
		}
	}
	c, err := codec.New[T](codec.Options{
		Format: f, Schema: opts.Schema, AllowUntyped: opts.AllowUntyped,
		MaxDecodeBytes: math.MaxInt64, Budget: budget,
	})
	if err != nil {
		return nil, fmt.Errorf("cache: SnapshotOptions.%s: %w: %w", field, err, ErrInvalidOptions)
	}
	t := codec.TypeOf[T](opts.Schema)
	return &snapshotCodec[T]{Codec: c, typ: t, header: codec.AppendHeader(nil, c.Format(), t)}, nil
}

// badSnapshot builds a load error that wraps ErrBadSnapshot.
func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("cache: snapshot: %s: %w", fmt.Sprintf(format, args...), ErrBadSnapshot)
}
