// Package keyenc turns cache keys of string and integer kinds into
// strings and back, for the levels that store bytes (the multilevel store
// keys, the GC-free store).
package keyenc

import (
	"reflect"
	"strconv"
)

// Defaults returns the default encoding of K as a string and its inverse,
// or false if K is not of a string or integer kind: a string is itself, an
// integer its decimal form. The plain types take a fast path; defined
// types (type UserID int64) go through reflection.
func Defaults[K comparable]() (enc func(K) string, dec func(string) (K, error), ok bool) {
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
