package codec

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// Type identifies the Go type that encoded values were written for, as the
// header of every value records it.
type Type struct {
	// Name is the type as the reflect package prints it ("main.User").
	// It is there for error messages and is not compared: renaming a
	// type, or moving it to another package, keeps its values readable.
	// Headers keep at most the first 255 bytes of it.
	Name string

	// Fingerprint is a 64-bit hash of the type's structure: the kinds,
	// the exported field names and struct tags, array lengths, element,
	// key and pointed-to types, recursively. A type with a decoding
	// method of its own (UnmarshalBinary, UnmarshalJSON, GobDecode,
	// msgpack's DecodeMsgpack, ...) counts as its package path and name
	// only: what it encodes is up to that method, so a change there needs
	// a new Schema.
	Fingerprint uint64

	// Schema is the version number of the values' meaning, chosen by the
	// user (Options.Schema). Bump it when values of an unchanged structure
	// change meaning (a field now in cents instead of euros), or when a
	// type with a decoding method of its own changes its encoding.
	Schema uint32
}

// TypeOf returns the Type of V with the given schema. It walks V's
// structure with reflection, at a cost that grows with the number of
// fields and types reachable from V, so call it once, not per value.
// Every codec computes it once when it is built.
func TypeOf[V any](schema uint32) Type {
	t := reflect.TypeFor[V]()
	return Type{Name: typeName(t), Fingerprint: fingerprint(t), Schema: schema}
}

// String describes t for error messages: name, schema and fingerprint.
func (t Type) String() string {
	name := t.Name
	if name == "" {
		name = "unnamed type"
	}
	return name + " (schema " + strconv.FormatUint(uint64(t.Schema), 10) +
		", fingerprint " + strconv.FormatUint(t.Fingerprint, 16) + ")"
}

// matches reports whether values written for t may be decoded as u.
func (t Type) matches(u Type) bool {
	return t.Fingerprint == u.Fingerprint && t.Schema == u.Schema
}

// maxTypeName bounds the type name a header carries (one length byte).
const maxTypeName = 255

func typeName(t reflect.Type) string {
	s := t.String()
	if len(s) <= maxTypeName {
		return s
	}
	// Cut at a rune boundary so that the stored name stays valid UTF-8.
	cut := maxTypeName
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// fingerprint hashes the canonical description of t's structure.
func fingerprint(t reflect.Type) uint64 {
	d := describer{seen: make(map[reflect.Type]int)}
	d.describe(t)
	sum := sha256.Sum256(d.b)
	return binary.BigEndian.Uint64(sum[:8])
}

// describer writes a canonical description of a type's structure: the
// same for the same structure in any build, and different for different
// ones. It uses kind names, not reflect's numbers, so that it is stable.
type describer struct {
	b    []byte
	seen map[reflect.Type]int // types being described, for recursive ones
}

func (d *describer) describe(t reflect.Type) {
	if custom(t) {
		d.b = append(d.b, "custom("...)
		d.b = append(d.b, t.PkgPath()...)
		d.b = append(d.b, '.')
		d.b = append(d.b, t.Name()...)
		d.b = append(d.b, ')')
		return
	}
	if n, ok := d.seen[t]; ok {
		// A type that contains itself: refer back to it by position.
		d.b = append(d.b, "ref("...)
		d.b = strconv.AppendInt(d.b, int64(n), 10)
		d.b = append(d.b, ')')
		return
	}
	switch t.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map, reflect.Pointer, reflect.Struct:
		d.seen[t] = len(d.seen)
		defer delete(d.seen, t)
	}
	d.b = append(d.b, t.Kind().String()...)
	switch t.Kind() {
	case reflect.Array:
		d.b = append(d.b, '[')
		d.b = strconv.AppendInt(d.b, int64(t.Len()), 10)
		d.b = append(d.b, ']', '(')
		d.describe(t.Elem())
		d.b = append(d.b, ')')
	case reflect.Slice, reflect.Pointer:
		d.b = append(d.b, '(')
		d.describe(t.Elem())
		d.b = append(d.b, ')')
	case reflect.Map:
		d.b = append(d.b, '(')
		d.describe(t.Key())
		d.b = append(d.b, ',')
		d.describe(t.Elem())
		d.b = append(d.b, ')')
	case reflect.Struct:
		d.b = append(d.b, '{')
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue // no codec reads unexported fields
			}
			d.b = strconv.AppendQuote(d.b, f.Name)
			if f.Anonymous {
				d.b = append(d.b, " embedded"...)
			}
			if f.Tag != "" {
				d.b = append(d.b, ' ')
				d.b = strconv.AppendQuote(d.b, string(f.Tag))
			}
			d.b = append(d.b, ' ')
			d.describe(f.Type)
			d.b = append(d.b, ';')
		}
		d.b = append(d.b, '}')
	case reflect.Interface:
		// The dynamic values are not known; the method set is.
		names := make([]string, 0, t.NumMethod())
		for i := range t.NumMethod() {
			names = append(names, t.Method(i).Name)
		}
		slices.Sort(names)
		d.b = append(d.b, '(')
		d.b = append(d.b, strings.Join(names, ",")...)
		d.b = append(d.b, ')')
	}
}

var (
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	gobDecoder        = reflect.TypeFor[gob.GobDecoder]()
	msgpackCustomDec  = reflect.TypeFor[msgpack.CustomDecoder]()
	msgpackUnmarshal  = reflect.TypeFor[msgpack.Unmarshaler]()
)

// custom reports whether t (or *t) decodes itself with a method of its own
// in one of the formats, so that its structure says nothing of its bytes.
func custom(t reflect.Type) bool {
	// Only a named type says what it is by its name; an unnamed one (a
	// pointer, a struct embedding a custom type) is described by its
	// structure, which leads to the named type inside it.
	if t.Name() == "" || t.Kind() == reflect.Interface {
		return false
	}
	p := reflect.PointerTo(t)
	for _, i := range []reflect.Type{binaryUnmarshaler, textUnmarshaler, jsonUnmarshaler, gobDecoder, msgpackCustomDec, msgpackUnmarshal} {
		if t.Implements(i) || p.Implements(i) {
			return true
		}
	}
	return false
}
