package codec

import (
	"testing"
	"time"
)

// benchUser is a realistic cached record: eight fields of mixed kinds,
// including a slice and a time.
type benchUser struct {
	ID        int64     `json:"id" msgpack:"id"`
	Name      string    `json:"name" msgpack:"name"`
	Email     string    `json:"email" msgpack:"email"`
	Roles     []string  `json:"roles" msgpack:"roles"`
	CreatedAt time.Time `json:"created_at" msgpack:"created_at"`
	Karma     int32     `json:"karma" msgpack:"karma"`
	Balance   float64   `json:"balance" msgpack:"balance"`
	Verified  bool      `json:"verified" msgpack:"verified"`
}

func benchRecord() benchUser {
	return benchUser{
		ID:        1234567,
		Name:      "Grace Hopper",
		Email:     "grace.hopper@example.com",
		Roles:     []string{"admin", "editor", "viewer"},
		CreatedAt: time.Date(2023, 11, 5, 8, 15, 30, 0, time.UTC),
		Karma:     4096,
		Balance:   99.95,
		Verified:  true,
	}
}

func benchCodecs() []Codec[benchUser] {
	return []Codec[benchUser]{Msgpack[benchUser](), JSON[benchUser](), Gob[benchUser]()}
}

func BenchmarkEncode(b *testing.B) {
	v := benchRecord()
	for _, c := range benchCodecs() {
		b.Run(c.Format().String(), func(b *testing.B) {
			data, err := c.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "bytes/value")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCodecs() {
		b.Run(c.Format().String(), func(b *testing.B) {
			data, err := c.Marshal(benchRecord())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Unmarshal(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "bytes/value")
		})
	}
}
