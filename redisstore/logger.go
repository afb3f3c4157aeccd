package redisstore

import (
	"context"
	"fmt"
	"log/slog"
)

// ClientLogger passes the lines go-redis logs to a *slog.Logger. go-redis
// writes its own diagnostics (such as "connection pool: failed to dial",
// about once a second per client while Redis is unreachable) to standard
// error through one logger for the whole process, which redis.SetLogger
// replaces:
//
//	redis.SetLogger(redisstore.NewClientLogger(slog.Default(), slog.LevelWarn))  // route
//	redis.SetLogger(redisstore.NewClientLogger(nil, 0))                         // silence
//
// The multilevel cache needs none of these lines: a Redis outage shows in
// its Stats and metrics (errors, the breaker's state) and never reaches
// callers. A ClientLogger is safe for concurrent use.
type ClientLogger struct {
	logger *slog.Logger
	level  slog.Level
}

// NewClientLogger returns a ClientLogger that writes each go-redis line to
// l at level, as the record's message with the attribute client=go-redis;
// a nil l discards the lines.
func NewClientLogger(l *slog.Logger, level slog.Level) *ClientLogger {
	return &ClientLogger{logger: l, level: level}
}

// Printf is what go-redis calls for each line: it formats the line as
// fmt.Sprintf does and logs it, unless the logger is nil or does not log
// at the ClientLogger's level.
func (c *ClientLogger) Printf(ctx context.Context, format string, v ...any) {
	if c.logger == nil || !c.logger.Enabled(ctx, c.level) {
		return
	}
	c.logger.LogAttrs(ctx, c.level, fmt.Sprintf(format, v...), slog.String("client", "go-redis"))
}
