package redisstore

import (
	"errors"
	"strings"

	"github.com/stratacache/cache/multilevel"
)

// The payload of an invalidation is the format version, the sender id, a
// NUL byte and the store key:
//
//	1<sender>\x00<key>
//
// The namespace is not repeated: it is the channel's. A reader that meets
// another version, or no NUL, treats the payload as unreadable.
const messageVersion = '1'

func encodeMessage(m multilevel.Message) (string, error) {
	if m.Sender == "" || strings.IndexByte(m.Sender, 0) >= 0 {
		return "", errors.New("redisstore: a message sender must be non-empty and free of NUL bytes")
	}
	var b strings.Builder
	b.Grow(2 + len(m.Sender) + len(m.Key))
	b.WriteByte(messageVersion)
	b.WriteString(m.Sender)
	b.WriteByte(0)
	b.WriteString(m.Key)
	return b.String(), nil
}

// decodeMessage parses a payload from the channel of namespace. It
// accepts any bytes without panicking and reports false for those it
// cannot read.
func decodeMessage(namespace, payload string) (multilevel.Message, bool) {
	rest, ok := strings.CutPrefix(payload, string(rune(messageVersion)))
	if !ok {
		return multilevel.Message{}, false
	}
	sender, key, ok := strings.Cut(rest, "\x00")
	if !ok || sender == "" {
		return multilevel.Message{}, false
	}
	return multilevel.Message{Namespace: namespace, Key: key, Sender: sender}, true
}
