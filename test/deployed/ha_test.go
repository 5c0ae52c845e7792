package deployed

import "testing"

func TestLeaderFailover(t *testing.T)           { env.LeaderFailover(t) }
func TestMetricsScrapedWithAToken(t *testing.T) { env.MetricsScrapedWithAToken(t) }
