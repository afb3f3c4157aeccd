package multilevel

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/stratacache/cache/internal/keyenc"
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
		enc, dec, ok := keyenc.Defaults[K]()
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
