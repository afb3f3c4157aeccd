// Package isnil tells whether a value handed over as an interface is nil,
// typed nils included, so that a nil LoaderFunc or a nil *MyLoader counts
// as "no loader" instead of a loader that panics when called.
package isnil

import "reflect"

// IsNil reports whether x is nil or holds a nil func, pointer, map,
// channel, slice or interface. It uses reflection: keep it off hit paths.
func IsNil(x any) bool {
	if x == nil {
		return true
	}
	switch v := reflect.ValueOf(x); v.Kind() {
	case reflect.Func, reflect.Pointer, reflect.Map, reflect.Chan, reflect.Slice, reflect.Interface, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}
