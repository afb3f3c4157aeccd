package trace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// Format identifies how the decompressed bytes of a trace encode its keys.
type Format int

// The trace formats. The zero Format is invalid.
const (
	// ARC is the text format of the ARC paper's traces: lines of
	// "start count ignored reqno", each expanding to count keys.
	ARC Format = iota + 1
	// LIRS is the text format of the LIRS paper's traces: one key per line.
	LIRS
	// Int64BE is a flat array of signed 64-bit big-endian integers.
	Int64BE
	// Int32BE is a flat array of signed 32-bit big-endian integers.
	Int32BE
)

// suffixes maps each format to its file name suffix.
var suffixes = [...]struct {
	suffix string
	format Format
}{
	{".arc.gz", ARC},
	{".lirs.gz", LIRS},
	{".i64be.gz", Int64BE},
	{".i32be.gz", Int32BE},
}

// String returns the file name suffix of f without ".gz" ("arc", "lirs",
// "i64be", "i32be"), or "Format(n)" for an invalid value.
func (f Format) String() string {
	for _, s := range suffixes {
		if s.format == f {
			return strings.TrimSuffix(strings.TrimPrefix(s.suffix, "."), ".gz")
		}
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Suffix returns the file name suffix that selects f, such as ".arc.gz",
// or "" for an invalid value.
func (f Format) Suffix() string {
	for _, s := range suffixes {
		if s.format == f {
			return s.suffix
		}
	}
	return ""
}

// FormatOf returns the format selected by the suffix of the file name
// name: ".arc.gz", ".lirs.gz", ".i64be.gz" or ".i32be.gz".
func FormatOf(name string) (Format, error) {
	base := filepath.Base(name)
	for _, s := range suffixes {
		if strings.HasSuffix(base, s.suffix) {
			return s.format, nil
		}
	}
	return 0, fmt.Errorf("trace: %s: unknown format (want a name ending in .arc.gz, .lirs.gz, .i64be.gz or .i32be.gz)", name)
}

// ParseError reports input that does not fit the trace's format, or a
// failure to read or decompress it.
type ParseError struct {
	// File is the name given to Open or NewReader.
	File string
	// Line is the 1-based line number for the text formats, 0 for binary.
	Line int64
	// Offset is the byte offset, in the decompressed stream, of the line or
	// record at fault (or of the point where reading failed).
	Offset int64
	// Err describes the problem.
	Err error
}

// Error formats the error as "trace: file:line: problem" for text formats
// and "trace: file: offset N: problem" for binary ones.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("trace: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("trace: %s: offset %d: %v", e.File, e.Offset, e.Err)
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

// maxRun bounds the number of keys one ARC line may expand to.
const maxRun = 1 << 20

// maxLine bounds the length of a text line; longer lines are malformed.
const maxLine = 64 << 10

// Reader streams the keys of one trace. It decodes incrementally, so the
// whole trace is never held in memory unless the caller collects it. A
// Reader is not safe for concurrent use.
type Reader struct {
	name    string
	format  Format
	br      *bufio.Reader
	closers []io.Closer // closed in order by Close

	line int64 // lines consumed so far (text formats)
	off  int64 // bytes consumed so far

	run  uint64 // next key of a pending ARC run
	left uint64 // keys left in the pending ARC run

	err  error
	done bool
}

// Open opens the gzip-compressed trace file at path, choosing the format
// from the file name suffix (see FormatOf). The caller must Close the
// Reader.
func Open(path string) (*Reader, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, &ParseError{File: path, Err: fmt.Errorf("not a gzip file: %w", err)}
	}
	r := NewReader(zr, format, path)
	r.closers = []io.Closer{zr, f}
	return r, nil
}

// NewReader returns a Reader that decodes keys in the given format from
// src, which must yield the already decompressed bytes (wrap a compressed
// stream in gzip.NewReader first). name is used only in error messages.
// Close on the returned Reader does not close src.
func NewReader(src io.Reader, format Format, name string) *Reader {
	r := &Reader{name: name, format: format, br: bufio.NewReaderSize(src, maxLine)}
	if format.Suffix() == "" {
		r.fail(r.off, fmt.Errorf("invalid format %d", int(format)))
	}
	return r
}

// Name returns the name the Reader was opened with.
func (r *Reader) Name() string { return r.name }

// Format returns the format the Reader decodes.
func (r *Reader) Format() Format { return r.format }

// Next returns the next key and true, or 0 and false at the end of the
// trace or on an error; Err tells the two apart.
func (r *Reader) Next() (uint64, bool) {
	if r.left > 0 {
		k := r.run
		r.run++
		r.left--
		return k, true
	}
	if r.done {
		return 0, false
	}
	switch r.format {
	case ARC, LIRS:
		return r.nextText()
	case Int64BE:
		return r.nextBinary(8)
	default: // Int32BE; NewReader rejected anything else.
		return r.nextBinary(4)
	}
}

// Err returns the first error met by Next, or nil if the trace was read to
// its end without error (or is still being read).
func (r *Reader) Err() error { return r.err }

// Keys returns an iterator over the remaining keys. It stops early at an
// error, so callers should check Err after the loop. The iterator consumes
// the Reader and cannot be restarted.
func (r *Reader) Keys() iter.Seq[uint64] {
	return func(yield func(uint64) bool) {
		for {
			k, ok := r.Next()
			if !ok || !yield(k) {
				return
			}
		}
	}
}

// ReadAll returns all remaining keys.
func (r *Reader) ReadAll() ([]uint64, error) {
	var keys []uint64
	for {
		k, ok := r.Next()
		if !ok {
			return keys, r.err
		}
		keys = append(keys, k)
	}
}

// Close releases the file and decompressor opened by Open. Further calls to
// Next return false. Close is idempotent.
func (r *Reader) Close() error {
	r.done = true
	r.left = 0
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// Load reads the whole trace at path into memory.
func Load(path string) ([]uint64, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	keys, err := r.ReadAll()
	if cerr := r.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("trace: %s: %w", path, cerr)
	}
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// fail records err (if it is the first) and ends the stream.
func (r *Reader) fail(offset int64, err error) {
	if r.err == nil {
		line := int64(0)
		if r.format == ARC || r.format == LIRS {
			line = r.line
		}
		r.err = &ParseError{File: r.name, Line: line, Offset: offset, Err: err}
	}
	r.done = true
	r.left = 0
}

// failRead records an error returned by the underlying reader.
func (r *Reader) failRead(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	r.fail(r.off, fmt.Errorf("read: %w", err))
}

// nextText returns the first key of the next non-blank line.
func (r *Reader) nextText() (uint64, bool) {
	for {
		raw, err := r.br.ReadSlice('\n')
		start := r.off
		r.off += int64(len(raw))
		if len(raw) > 0 {
			r.line++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			r.fail(start, fmt.Errorf("line longer than %d bytes", maxLine))
			return 0, false
		}
		if err != nil && err != io.EOF {
			r.failRead(err)
			return 0, false
		}
		if len(raw) == 0 { // clean end of input
			r.done = true
			return 0, false
		}
		line := bytes.TrimSpace(raw)
		if r.format == LIRS && len(line) == 1 && line[0] == '*' {
			line = nil // checkpoint marker
		}
		if len(line) > 0 {
			k, perr := r.parseLine(line)
			if perr != nil {
				r.fail(start, perr)
				return 0, false
			}
			return k, true
		}
		if err == io.EOF {
			r.done = true
			return 0, false
		}
	}
}

// parseLine decodes one trimmed, non-empty text line, arming the pending
// run for ARC. It returns the first key.
func (r *Reader) parseLine(line []byte) (uint64, error) {
	if r.format == LIRS {
		k, ok := parseUint(line)
		if !ok {
			return 0, fmt.Errorf("want a non-negative decimal key, got %q", clip(line))
		}
		return k, nil
	}

	var fields [4][]byte
	n := 0
	rest := line
	for len(rest) > 0 {
		i := 0
		for i < len(rest) && !isSpace(rest[i]) {
			i++
		}
		if n == len(fields) {
			n++
			break
		}
		fields[n] = rest[:i]
		n++
		for i < len(rest) && isSpace(rest[i]) {
			i++
		}
		rest = rest[i:]
	}
	if n != 4 {
		return 0, fmt.Errorf("want 4 fields \"start count ignored reqno\", got %q", clip(line))
	}
	start, ok := parseUint(fields[0])
	if !ok {
		return 0, fmt.Errorf("bad start block %q", clip(fields[0]))
	}
	count, ok := parseUint(fields[1])
	if !ok {
		return 0, fmt.Errorf("bad block count %q", clip(fields[1]))
	}
	if count == 0 || count > maxRun {
		return 0, fmt.Errorf("block count %d outside 1..%d", count, maxRun)
	}
	if start+(count-1) < start {
		return 0, fmt.Errorf("run of %d blocks from %d overflows uint64", count, start)
	}
	for _, f := range fields[2:] {
		if !isInt(f) {
			return 0, fmt.Errorf("bad integer field %q", clip(f))
		}
	}
	r.run, r.left = start+1, count-1
	return start, nil
}

// nextBinary decodes one fixed-width big-endian record.
func (r *Reader) nextBinary(width int) (uint64, bool) {
	b, err := r.br.Peek(width)
	if len(b) < width {
		switch {
		case len(b) == 0 && err == io.EOF:
			r.done = true
		case err == io.EOF:
			r.fail(r.off, fmt.Errorf("truncated record: %d trailing bytes, want %d", len(b), width))
		default:
			r.failRead(err)
		}
		return 0, false
	}
	var k uint64
	if width == 8 {
		k = binary.BigEndian.Uint64(b)
	} else {
		k = uint64(int64(int32(binary.BigEndian.Uint32(b))))
	}
	_, _ = r.br.Discard(width) // cannot fail: Peek returned width bytes
	r.off += int64(width)
	return k, true
}

// parseUint parses a non-empty string of decimal digits, rejecting
// overflow.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d := uint64(c) - '0'
		if d > 9 {
			return 0, false
		}
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// isInt reports whether b is an optionally signed string of decimal digits.
func isInt(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// clip shortens b for inclusion in an error message.
func clip(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
