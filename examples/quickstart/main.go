// Command quickstart is the README's quick start, kept here so that it is
// compiled and vetted with the rest of the module.
package main

import (
	"fmt"
	"time"

	"github.com/stratacache/cache"
)

type User struct {
	ID   string
	Name string
}

func main() {
	c, err := cache.New(cache.Options[string, User]{
		MaxEntries: 100_000,
		TTL:        5 * time.Minute,
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	c.Set("u1", User{ID: "u1", Name: "Ada"})
	if u, ok := c.Get("u1"); ok {
		fmt.Println("hit:", u.Name)
	}
	fmt.Printf("%+v\n", c.Stats())
}
