//go:build race

package simulate

// raceEnabled: the race detector slows the real-GeoIP index build ~10x.
const raceEnabled = true
