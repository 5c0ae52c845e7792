package deployed

import "testing"

func TestEveryOtherAttack(t *testing.T) { env.EveryOtherAttack(t) }
