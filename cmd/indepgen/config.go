package main

// Country table: curated lists of consumer (residential) ISPs and mobile carriers
// per country. Every ASN is checked against the real GeoLite2 data at start-up;
// ASNs without usable networks are silently dropped.
type Country struct {
	CC          string
	W           float64  // weight when choosing a home country
	Res         []uint32 // residential / consumer ISPs
	Mob         []uint32 // mobile carriers (some are mixed fixed+mobile ASNs)
	IPhoneShare float64  // share of phones that are iPhones
}

var countries = []Country{
	{"US", 24, []uint32{7922, 7018, 20115, 11427, 10796, 20001, 33363, 11426, 11351, 12271, 701, 22773, 5650, 209, 12083, 7029}, []uint32{21928, 6167, 22394, 20057}, 0.57},
	{"CA", 5, []uint32{577, 852, 5769, 812, 6327, 11290, 5645, 11260}, []uint32{812, 852, 36522, 577}, 0.55},
	{"MX", 4, []uint32{8151, 13999, 22884, 17072, 28548}, []uint32{28403, 8151}, 0.25},
	{"BR", 5, []uint32{28573, 18881, 26599, 27699, 7738, 8167, 28126, 16735}, []uint32{26615, 26599, 4230}, 0.15},
	{"AR", 2, []uint32{7303, 22927, 27747}, []uint32{7303, 22927}, 0.2},
	{"CL", 1, []uint32{22047, 7418, 14117, 27651}, []uint32{27651, 7418}, 0.25},
	{"CO", 2, []uint32{10620, 13489, 3816, 14080}, []uint32{27831, 26611}, 0.2},
	{"GB", 8, []uint32{2856, 5607, 5089, 13285, 56478, 201838}, []uint32{206067, 5378, 25135, 35228}, 0.5},
	{"DE", 7, []uint32{3320, 3209, 6805, 8881, 9145, 60294, 8422, 35244}, []uint32{6805, 3320, 3209}, 0.35},
	{"FR", 6, []uint32{3215, 12322, 15557, 5410}, []uint32{51207, 5410, 15557, 3215}, 0.35},
	{"IT", 4, []uint32{3269, 30722, 12874, 1267, 8612, 35612}, []uint32{1267, 30722, 3269}, 0.3},
	{"ES", 4, []uint32{3352, 12479, 12430, 57269, 6739, 12338, 12334}, []uint32{12430, 12479, 3352, 57269}, 0.3},
	{"NL", 3, []uint32{1136, 33915, 50266, 15435}, []uint32{31615, 13127, 1136, 33915}, 0.45},
	{"SE", 2, []uint32{3301, 1257, 8473, 8434, 29518}, []uint32{44034, 1257, 3301, 8434}, 0.5},
	{"PL", 3, []uint32{5617, 12741, 29314, 21021}, []uint32{9141, 39603, 12912, 8374}, 0.25},
	{"NO", 1, []uint32{2119, 29695, 15659, 25400}, []uint32{2119, 12929}, 0.5},
	{"DK", 1, []uint32{3292, 44869, 203953, 9158, 39642}, []uint32{44034, 9158, 3308}, 0.5},
	{"IE", 1, []uint32{5466, 6830, 5607}, []uint32{15502, 13280}, 0.5},
	{"CH", 1, []uint32{3303, 6730, 13030, 15600}, []uint32{15796, 3303}, 0.55},
	{"AT", 1, []uint32{8447, 8412, 8339, 12605}, []uint32{25255, 8437, 8412}, 0.4},
	{"BE", 1, []uint32{5432, 6848, 12392, 47377}, []uint32{5432, 47377}, 0.4},
	{"PT", 1, []uint32{3243, 2860, 12353, 13156}, []uint32{12353, 3243, 2860}, 0.3},
	{"FI", 1, []uint32{719, 1759, 16086}, []uint32{719, 1759, 16086}, 0.4},
	{"JP", 4, []uint32{2516, 4713, 2527, 2518, 9824, 4685, 17511}, []uint32{9605, 17676, 138384, 2516}, 0.65},
	{"KR", 2, []uint32{4766, 9318, 17858}, []uint32{9644, 17853}, 0.25},
	{"AU", 3, []uint32{1221, 4764, 7545, 4804, 38195, 9443}, []uint32{1221, 4804, 7474, 133612}, 0.55},
	{"NZ", 1, []uint32{9500, 9790, 4771}, []uint32{9500, 9790, 4771}, 0.5},
	{"IN", 3, []uint32{24560, 9829, 55836, 17488, 45820}, []uint32{55836, 45609, 38266}, 0.08},
	{"SG", 1, []uint32{9506, 55430, 18106}, []uint32{4773, 3758}, 0.5},
}

// Hosting / VPN-exit providers with a rough market weight among VPN users.
type Provider struct {
	ASN  uint32
	Name string
	W    float64
}

var providers = []Provider{
	{9009, "M247", 0.25},
	{60068, "Datacamp", 0.12},
	{212238, "Datacamp/CDN77", 0.10},
	{20473, "Choopa/Vultr", 0.10},
	{14061, "DigitalOcean", 0.10},
	{16276, "OVH", 0.08},
	{24940, "Hetzner", 0.06},
	{16509, "Amazon", 0.08},
	{62240, "Clouvider", 0.06},
}

// Favourite VPN exit countries (weights).
var vpnExitCountries = map[string]float64{
	"US": 30, "GB": 15, "NL": 8, "DE": 8, "JP": 6, "CA": 5, "FR": 4, "CH": 3, "SE": 3,
	"AU": 3, "SG": 3, "ES": 2, "IT": 2, "BR": 2,
}

// Business / transit ASNs whose city-level networks serve as hotel networks.
var businessASNs = []uint32{3257, 174, 3356, 3549, 8220, 1299, 702, 703, 2686, 2687, 52075, 6461, 12552, 31027}
