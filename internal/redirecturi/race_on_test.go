//go:build race

package redirecturi

// raceSlowdown: the race detector makes this code about ten times slower.
const raceSlowdown = 10
