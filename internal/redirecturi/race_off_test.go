//go:build !race

package redirecturi

const raceSlowdown = 1
