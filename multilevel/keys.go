package multilevel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// keyCodec maps keys to store keys (namespace prefix included) and back.
type keyCodec[K comparable] struct {
	prefix string // namespace + ":"
	encode func(K) string
	decode func(string) (K, error) // nil when invalidation is off
}

func (kc *keyCodec[K]) storeKey(k K) string { return kc.prefix + kc.encode(k) }

// key inverts storeKey.
func (kc *keyCodec[K]) key(storeKey string) (K, error) {
	rest, ok := strings.CutPrefix(storeKey, kc.prefix)
	if !ok {
		var zero K
		return zero, fmt.Errorf("store key %q lacks the prefix %q", storeKey, kc.prefix)
	}
	return kc.decode(rest)
}

// newKeyCodec picks the key functions from the options: the user's, or
// the defaults for string and integer kinds. needDecode says whether the
// inverse is needed (invalidation is on).
func newKeyCodec[K comparable, V any](o *Options[K, V], namespace string, needDecode bool) (*keyCodec[K], error) {
	kc := &keyCodec[K]{prefix: namespace + ":", encode: o.EncodeKey, decode: o.DecodeKey}
	if kc.encode == nil {
		enc, dec, ok := defaultKeyFuncs[K]()
		if !ok {
			return nil, optionError("EncodeKey", "is nil and %v keys have no default encoding (only string and integer kinds do)",
				reflect.TypeFor[K]())
		}
		kc.encode = enc
		if kc.decode == nil {
			kc.decode = dec
		}
	}
	if needDecode && kc.decode == nil {
		return nil, optionError("DecodeKey", "is nil but Options.EncodeKey is set; invalidation messages carry encoded keys, "+
			"so a custom encoding needs its inverse (or set Options.NoInvalidation)")
	}
	return kc, nil
}

// defaultKeyFuncs returns the default encoding of K and its inverse, or
// false if K is not of a string or integer kind. The plain types take a
// fast path; defined types (type UserID int64) go through reflection.
func defaultKeyFuncs[K comparable]() (enc func(K) string, dec func(string) (K, error), ok bool) {
	var zero K
	switch any(zero).(type) {
	case string:
		return func(k K) string { return any(k).(string) },
			func(s string) (K, error) { return any(s).(K), nil }, true
	case int:
		return func(k K) string { return strconv.Itoa(any(k).(int)) },
			func(s string) (K, error) {
				n, err := strconv.Atoi(s)
				return any(n).(K), err
			}, true
	case int64:
		return func(k K) string { return strconv.FormatInt(any(k).(int64), 10) },
			func(s string) (K, error) {
				n, err := strconv.ParseInt(s, 10, 64)
				return any(n).(K), err
			}, true
	case uint64:
		return func(k K) string { return strconv.FormatUint(any(k).(uint64), 10) },
			func(s string) (K, error) {
				n, err := strconv.ParseUint(s, 10, 64)
				return any(n).(K), err
			}, true
	}
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return func(k K) string { return reflect.ValueOf(k).String() },
			func(s string) (K, error) {
				var k K
				reflect.ValueOf(&k).Elem().SetString(s)
				return k, nil
			}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(k K) string { return strconv.FormatInt(reflect.ValueOf(k).Int(), 10) },
			func(s string) (K, error) {
				var k K
				n, err := strconv.ParseInt(s, 10, t.Bits())
				if err != nil {
					return k, err
				}
				reflect.ValueOf(&k).Elem().SetInt(n)
				return k, nil
			}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(k K) string { return strconv.FormatUint(reflect.ValueOf(k).Uint(), 10) },
			func(s string) (K, error) {
				var k K
				n, err := strconv.ParseUint(s, 10, t.Bits())
				if err != nil {
					return k, err
				}
				reflect.ValueOf(&k).Elem().SetUint(n)
				return k, nil
			}, true
	}
	return nil, nil, false
}
