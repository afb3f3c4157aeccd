package bytecache_test

import (
	"context"
	"fmt"

	"github.com/stratacache/cache/bytecache"
)

type Product struct {
	SKU   string
	Price int
}

// A typed cache whose values live in byte slabs: the GC does not scan
// them, however many there are.
func ExampleNew() {
	products, err := bytecache.New(bytecache.Options[string, Product]{
		MaxBytes: 256 << 20, // slab bytes for keys, encoded values and headers
		Load: func(ctx context.Context, sku string) (Product, error) {
			return Product{SKU: sku, Price: 990}, nil // the slow backend
		},
	})
	if err != nil {
		panic(err)
	}
	defer products.Close()

	p, err := products.GetOrLoad(context.Background(), "sku-1", nil) // loaded, then cached
	fmt.Println(p, err)
	p, ok := products.Get("sku-1") // decoded from the slab
	fmt.Println(p, ok)
	// Output:
	// {sku-1 990} <nil>
	// {sku-1 990} true
}

// The byte store under it, for values that already are bytes.
func ExampleNewStore() {
	s, err := bytecache.NewStore(bytecache.StoreOptions{MaxBytes: 64 << 20})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.Set("greeting", []byte("hello"))
	buf := make([]byte, 0, 64)
	buf, ok := s.AppendGet(buf[:0], "greeting") // no allocation: the value is copied into buf
	fmt.Println(string(buf), ok)
	// Output: hello true
}
