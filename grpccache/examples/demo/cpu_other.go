//go:build !unix

package main

import "time"

// processCPU returns 0: the demo measures CPU time only on Unix systems.
func processCPU() time.Duration { return 0 }
