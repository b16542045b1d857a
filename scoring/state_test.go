package scoring

import "testing"

// A phone hopping through a carrier's addresses must not push the home's
// lines out of a full account: the slot reused is the oldest place used on
// one day only, and only when there is none the oldest of all.
func TestAddPlaceEvictsOneDayPlacesFirst(t *testing.T) {
	a := &account{}
	home := place{key: 1, used: true, lastSeen: 100}
	for d := int32(0); d < 5; d++ {
		home.days.add(d)
	}
	a.addPlace(home)
	for i := 1; i < maxPlaces; i++ {
		p := place{key: uint64(1 + i), used: true, lastSeen: int64(1000 + i)}
		p.days.add(10)
		a.addPlace(p)
	}
	slot := a.addPlace(place{key: 999, used: true, lastSeen: 5000})
	if a.places[0].key != 1 {
		t.Fatalf("the home line (slot 0, used on 5 days, least recently seen) was evicted for a carrier address")
	}
	if slot != 1 {
		t.Errorf("reused slot %d, want 1 (the oldest one-day place)", slot)
	}
	// All places used on several days: the least recently seen goes.
	b := &account{}
	for i := 0; i < maxPlaces; i++ {
		p := place{key: uint64(1 + i), used: true, lastSeen: int64(2000 - i)}
		p.days.add(1)
		p.days.add(2)
		b.addPlace(p)
	}
	if slot := b.addPlace(place{key: 999, used: true, lastSeen: 5000}); slot != maxPlaces-1 {
		t.Errorf("reused slot %d, want %d (the least recently seen)", slot, maxPlaces-1)
	}
}
