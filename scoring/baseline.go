package scoring

import (
	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
)

// The naive impossible-travel rule many SIEMs ship: two consecutive
// successful logins more than 100 km apart, at least 5 minutes apart, at an
// implied speed above 900 km/h. It ignores accuracy radii, hosting networks
// and devices; sharewatch reports it beside its own verdicts to show the
// difference.
const (
	baselineMinKM    = 100
	baselineMinGap   = 5 * 60
	baselineSpeedKMH = 900
)

func (s *Scorer) baseline(a *account, ev *ingest.Event, loc *enrich.Location, now int64) {
	if ev.Type != ingest.TypeLogin || !ev.Success || loc.Kind != enrich.KindPublic || !loc.HasCoords {
		return
	}
	if a.baseHas && now-a.baseAt >= baselineMinGap {
		d := DistanceKM(float64(a.baseLat), float64(a.baseLon), loc.Lat, loc.Lon)
		if d > baselineMinKM && d/(float64(now-a.baseAt)/3600) > baselineSpeedKMH && a.baseFlagged == 0 && now >= s.countFrom {
			a.baseFlagged = now
		}
	}
	a.baseLat, a.baseLon, a.baseAt, a.baseHas = float32(loc.Lat), float32(loc.Lon), now, true
}
