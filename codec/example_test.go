package codec_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/stratacache/cache/codec"
)

type User struct {
	ID      int64
	Name    string
	Roles   []string
	Created time.Time
}

func ExampleDefault() {
	c := codec.Default[User]() // msgpack; build once, share freely

	data, err := c.Marshal(User{
		ID:      7,
		Name:    "Ada",
		Roles:   []string{"admin"},
		Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}

	u, err := c.Unmarshal(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Format(), u.ID, u.Name, u.Roles, u.Created.UTC().Format(time.RFC3339))
	// Output: msgpack 7 Ada [admin] 2024-01-02T03:04:05Z
}

func ExampleMsgpack() {
	c := codec.Msgpack[map[string]int]()

	data, err := c.Marshal(map[string]int{"hits": 3})
	if err != nil {
		panic(err)
	}
	// Magic 0xC1 'S', format id 1 (msgpack), header version 2, the type's
	// fingerprint, schema and name, then the body.
	h, err := codec.ParseHeader(data)
	if err != nil {
		panic(err)
	}
	fmt.Printf("header % x\n", data[:4])
	fmt.Printf("type   %s, schema %d\n", h.Type.Name, h.Type.Schema)
	fmt.Printf("body   % x\n", data[h.Len:])

	m, err := c.Unmarshal(data)
	fmt.Println(m["hits"], err)
	// Output:
	// header c1 53 01 02
	// type   map[string]int, schema 0
	// body   81 a4 68 69 74 73 03
	// 3 <nil>
}

// Bytes written by one codec are refused by another, with an error that
// names both formats, instead of being decoded into garbage.
func Example_formatMismatch() {
	data, _ := codec.JSON[User]().Marshal(User{Name: "Ada"})

	_, err := codec.Msgpack[User]().Unmarshal(data)
	fmt.Println(err)
	fmt.Println(errors.Is(err, codec.ErrFormatMismatch), errors.Is(err, codec.ErrCorrupt))

	_, err = codec.Msgpack[User]().Unmarshal([]byte(`{"Name":"Ada"}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, codec.ErrCorrupt))
	// Output:
	// codec: msgpack: decode codec_test.User: data is json-encoded, this codec reads msgpack: codec: format mismatch
	// true false
	// codec: msgpack: decode codec_test.User: bad magic 0x7b 0x22, want 0xc1 0x53 (not written by this package): codec: corrupt data
	// true
}

func ExampleDetect() {
	data, _ := codec.Gob[string]().Marshal("hello")

	f, err := codec.Detect(data)
	fmt.Println(f, err)
	// Output: gob <nil>
}

func ExampleRaw() {
	c := codec.Raw[[]byte]()

	data, _ := c.Marshal([]byte(`<p>pre-rendered</p>`))
	page, err := c.Unmarshal(data)
	// The 19-byte page behind a 21-byte header that names []uint8.
	fmt.Printf("%d bytes stored, %s %v\n", len(data), page, err)
	// Output: 40 bytes stored, <p>pre-rendered</p> <nil>
}
