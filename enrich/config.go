package enrich

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Configuration errors returned, wrapped with the field name, by
// Config.Validate.
var (
	// ErrMissingCity means Config.City is empty.
	ErrMissingCity = errors.New("city database path is required")
	// ErrInvalidCacheSize means Config.CacheSize is negative or above
	// MaxCacheSize.
	ErrInvalidCacheSize = errors.New("cache size must be between 0 and 16777216")
	// ErrInvalidReloadInterval means Config.ReloadInterval is negative.
	ErrInvalidReloadInterval = errors.New("reload interval must not be negative")
	// ErrInvalidASN means a hosting ASN list holds 0, which is reserved and
	// is what an address without ASN data reports.
	ErrInvalidASN = errors.New("ASN 0 is reserved")
	// ErrInvalidHostingOrgPattern means Config.HostingOrgPattern is not a
	// valid regular expression.
	ErrInvalidHostingOrgPattern = errors.New("invalid regular expression")
)

// DefaultCacheSize is the default for Config.CacheSize.
const DefaultCacheSize = 65536

// MaxCacheSize is the largest accepted Config.CacheSize.
const MaxCacheSize = 1 << 24

// DefaultReloadInterval is the default for Config.ReloadInterval.
const DefaultReloadInterval = time.Minute

// defaultHostingASNs are networks where a login's location is a data
// centre's, not a person's: public clouds, VPS and dedicated-server hosts,
// and the networks of large consumer VPN services. Only ASNs whose owner we
// are confident of are listed; deployments add their own with
// Config.ExtraHostingASNs.
//
// The list is coarse on purpose. Some of these networks also carry corporate
// egress (Microsoft, Google), which is not a person's home either.
var defaultHostingASNs = []uint32{
	// Public clouds.
	16509,  // Amazon (AMAZON-02)
	14618,  // Amazon (AMAZON-AES)
	15169,  // Google
	396982, // Google Cloud
	8075,   // Microsoft (Azure)
	31898,  // Oracle Cloud
	36351,  // IBM Cloud (SoftLayer)
	45102,  // Alibaba Cloud
	37963,  // Alibaba Cloud (Hangzhou)
	132203, // Tencent Cloud
	45090,  // Tencent (Shenzhen)

	// VPS, dedicated-server and colocation hosts.
	14061,  // DigitalOcean
	16276,  // OVH
	24940,  // Hetzner
	212317, // Hetzner (its US sites; GeoLite2 places 5.78.0.0/16 in Portland, OR)
	213230, // Hetzner (its US sites; 5.161.0.0/16)
	63949,  // Linode (Akamai)
	20473,  // Vultr (Choopa)
	51167,  // Contabo
	12876,  // Scaleway
	60781,  // Leaseweb NL
	28753,  // Leaseweb DE
	30633,  // Leaseweb US
	36352,  // ColoCrossing
	53667,  // FranTech (BuyVM)
	8100,   // QuadraNet
	29802,  // Hivelocity
	40676,  // Psychz Networks
	55286,  // ServerMania
	49981,  // WorldStream
	43350,  // NForce
	54290,  // Hostwinds
	62240,  // Clouvider
	46562,  // Total Server Solutions
	197540, // netcup
	47583,  // Hostinger
	8560,   // IONOS
	3223,   // Voxility

	// VPN and anonymising networks.
	9009,   // M247, used by many VPN services
	60068,  // Datacamp (CDN77), used by many VPN services
	212238, // Datacamp
	136787, // TEFINCOM (NordVPN)
	209103, // Proton AG (ProtonVPN)
	39351,  // 31173 Services (Mullvad)
	53559,  // Anonymizer
	13335,  // Cloudflare (WARP, part of iCloud Private Relay)

	// Hosts that VPN services rent exits from, each checked against its
	// organisation name in GeoLite2-ASN.
	147049, // PacketHub (NordVPN)
	209854, // Cyberzone (Surfshark)
	11878,  // tzulo
	21859,  // Zenlayer
	3258,   // xTom Japan
	9312,   // xTom
	199524, // G-Core Labs
	202422, // G-Core Labs
	46844,  // Sharktech
	63023,  // GTHost
	51852,  // Private Layer
	200651, // FlokiNET
	8849,   // Melbikomas (Melbicom)
	210644, // Aeza Group
	62874,  // Web2Objects
	49453,  // Global Layer
	397423, // Tier.Net
	40021,  // Contabo Inc.
	396356, // Latitude.sh
	7203,   // Leaseweb USA
	393886, // Leaseweb USA
	32097,  // WholeSale Internet
	35916,  // Multacom
	22612,  // Namecheap
	398101, // GoDaddy
}

// DefaultHostingOrgPattern matches the organisation names (GeoLite2-ASN
// autonomous_system_organization) of hosting, cloud, server and VPN
// networks that no list names: "Example Hosting GmbH", "HostRoyale
// Technologies", "Iomart Cloud Services", "UK Dedicated Servers", "Ace Data
// Centers". A list of ASNs cannot keep up with the long tail of small
// hosts that VPN services rent exits from. In GeoLite2-ASN it matches about
// 1,700 of 80,000 organisations, nearly all of them hosts; the few regional
// ISPs with "Cloud" in their name that it also matches lose only the use of
// their locations as homes, as any hosting network does.
const DefaultHostingOrgPattern = `(?i)(hosting|\bhost|server|data ?cent(er|re)|\bvps\b|\bvpn\b|\bcloud\b|colocation|dedicated)`

// DefaultHostingASNs returns a copy of the built-in hosting, cloud and VPN
// ASN list used when Config.HostingASNs is nil.
func DefaultHostingASNs() []uint32 { return slices.Clone(defaultHostingASNs) }

// Config configures an Enricher.
type Config struct {
	// City is the path of a GeoIP2 or GeoLite2 City database (or DB-IP in
	// the same format). Required.
	City string `yaml:"city"`
	// ASN is the path of a GeoLite2 ASN (or GeoIP2 ISP) database. Optional:
	// without it Location.ASN is 0 and nothing is marked Hosting.
	ASN string `yaml:"asn"`
	// HostingASNs are the networks whose locations are data centres, not
	// people. Setting it replaces the built-in list; nil means the default.
	// Default: DefaultHostingASNs()
	HostingASNs []uint32 `yaml:"hosting_asns"`
	// ExtraHostingASNs are added to HostingASNs, so that a deployment can
	// extend the defaults without copying them.
	// Default: none
	ExtraHostingASNs []uint32 `yaml:"extra_hosting_asns"`
	// HostingOrgPattern is a regular expression (Go RE2 syntax) matched
	// against a network's ASN organisation name; a match marks the
	// network as hosting, like an ASN on the lists. nil means the default;
	// an empty string turns name matching off.
	// Default: DefaultHostingOrgPattern
	HostingOrgPattern *string `yaml:"hosting_org_pattern"`
	// CacheSize is the number of addresses whose lookups are cached. It is
	// rounded up to a power of two; 0 means the default.
	// Default: 65536
	CacheSize int `yaml:"cache_size"`
	// ReloadInterval is how often Run checks the database files' size and
	// modification time and reloads them when either changed. 0 disables
	// polling; Reload still works.
	// Default: 1m
	ReloadInterval time.Duration `yaml:"reload_interval"`
}

// DefaultConfig returns a Config with every default filled in. City still
// has to be set.
func DefaultConfig() Config {
	return Config{
		HostingASNs:    DefaultHostingASNs(),
		CacheSize:      DefaultCacheSize,
		ReloadInterval: DefaultReloadInterval,
	}
}

// Validate reports every invalid field, joined with errors.Join. Each error
// names the field and wraps one of the Err* sentinels.
func (c *Config) Validate() error {
	var errs []error
	if c.City == "" {
		errs = append(errs, fmt.Errorf("city: %w", ErrMissingCity))
	}
	errs = append(errs, c.validateTuning()...)
	return errors.Join(errs...)
}

// validateTuning checks everything but the file paths, which NewFromBytes
// does not use.
func (c *Config) validateTuning() []error {
	var errs []error
	if c.CacheSize < 0 || c.CacheSize > MaxCacheSize {
		errs = append(errs, fmt.Errorf("cache_size %d: %w", c.CacheSize, ErrInvalidCacheSize))
	}
	if c.ReloadInterval < 0 {
		errs = append(errs, fmt.Errorf("reload_interval %s: %w", c.ReloadInterval, ErrInvalidReloadInterval))
	}
	if slices.Contains(c.HostingASNs, 0) {
		errs = append(errs, fmt.Errorf("hosting_asns: %w", ErrInvalidASN))
	}
	if slices.Contains(c.ExtraHostingASNs, 0) {
		errs = append(errs, fmt.Errorf("extra_hosting_asns: %w", ErrInvalidASN))
	}
	if c.HostingOrgPattern != nil {
		if _, err := regexp.Compile(*c.HostingOrgPattern); err != nil {
			errs = append(errs, fmt.Errorf("hosting_org_pattern %q: %w: %v", *c.HostingOrgPattern, ErrInvalidHostingOrgPattern, err))
		}
	}
	return errs
}

// withDefaults fills zero values that mean "default". ReloadInterval is not
// touched: 0 means disabled.
func (c Config) withDefaults() Config {
	if c.HostingASNs == nil {
		c.HostingASNs = DefaultHostingASNs()
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	return c
}

// hostingRule decides which networks are hosting: an ASN on either list,
// or an organisation name that the pattern matches.
type hostingRule struct {
	asns map[uint32]struct{}
	org  *regexp.Regexp // nil: names are not matched
}

func (h *hostingRule) hosting(asn uint32, org string) bool {
	if _, ok := h.asns[asn]; ok {
		return true
	}
	return h.org != nil && org != "" && h.org.MatchString(org)
}

// hostingRule builds the rule from HostingASNs, ExtraHostingASNs and
// HostingOrgPattern. The config must have been validated.
func (c *Config) hostingRule() *hostingRule {
	set := make(map[uint32]struct{}, len(c.HostingASNs)+len(c.ExtraHostingASNs))
	for _, a := range c.HostingASNs {
		set[a] = struct{}{}
	}
	for _, a := range c.ExtraHostingASNs {
		set[a] = struct{}{}
	}
	h := &hostingRule{asns: set}
	pattern := DefaultHostingOrgPattern
	if c.HostingOrgPattern != nil {
		pattern = *c.HostingOrgPattern
	}
	if pattern != "" {
		h.org = regexp.MustCompile(pattern)
	}
	return h
}
