// Package mmdbgen writes GeoLite2-City and GeoLite2-ASN shaped MaxMind
// databases with mmdbwriter, for the simulator and for tests. Real
// deployments bring their own databases.
package mmdbgen

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Record is what both databases say about one network.
type Record struct {
	Prefix     netip.Prefix
	Country    string // ISO code; "" omits the country
	City       string // "" omits the city
	Lat, Lon   float64
	NoCoords   bool // true omits the location entirely
	AccuracyKM uint16
	ASN        uint32 // 0 omits the network from the ASN database
	ASOrg      string
}

// Write builds the City database at cityPath and, when asnPath is not
// empty, the ASN database. Files are written atomically (temp + rename) so
// a reader polling them never sees a partial file.
func Write(cityPath, asnPath string, recs []Record) error {
	city, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 24, IncludeReservedNetworks: true, Languages: []string{"en"}})
	if err != nil {
		return err
	}
	asn, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for _, r := range recs {
		n := ipNet(r.Prefix)
		m := mmdbtype.Map{}
		if r.Country != "" {
			m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)}
		}
		if r.City != "" {
			m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.City)}}
		}
		if !r.NoCoords {
			m["location"] = mmdbtype.Map{
				"latitude":        mmdbtype.Float64(r.Lat),
				"longitude":       mmdbtype.Float64(r.Lon),
				"accuracy_radius": mmdbtype.Uint16(r.AccuracyKM),
			}
		}
		if err := city.Insert(n, m); err != nil {
			return fmt.Errorf("city record %s: %w", r.Prefix, err)
		}
		if r.ASN != 0 {
			if err := asn.Insert(n, mmdbtype.Map{
				"autonomous_system_number":       mmdbtype.Uint32(r.ASN),
				"autonomous_system_organization": mmdbtype.String(r.ASOrg),
			}); err != nil {
				return fmt.Errorf("asn record %s: %w", r.Prefix, err)
			}
		}
	}
	if err := writeTree(city, cityPath); err != nil {
		return err
	}
	if asnPath != "" {
		return writeTree(asn, asnPath)
	}
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	a := p.Addr().Unmap()
	bits := 128
	if a.Is4() {
		bits = 32
	}
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

func writeTree(t *mmdbwriter.Tree, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mmdb-*")
	if err != nil {
		return err
	}
	if _, err := t.WriteTo(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
