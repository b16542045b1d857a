package simulate

// The world model: real cities, countries and network providers. Names,
// ISO codes, coordinates and ASNs are real; populations are rough metro
// figures in millions and only weight where accounts live. Time zones are
// standard-time UTC offsets (DST is ignored: the diurnal pattern is a
// rough shape, not a clock).

// city is one place a person can live or a data centre can sit.
type city struct {
	Name    string
	Country string
	Lat     float64
	Lon     float64
	// Pop is a rough metro population in millions; 0 marks a
	// data-centre-only place nobody in the population lives in.
	Pop float64
	TZ  float64 // UTC offset in hours
}

// country holds what is national rather than per city.
type country struct {
	Code    string
	Capital string
	// Centroid is where a country-level GeoIP record points (MaxMind puts
	// unknown-city US addresses in Kansas, for instance).
	CentroidLat, CentroidLon float64
	// Weight scales the share of accounts living here relative to
	// population: the service is strongest in Europe and North America.
	Weight float64
}

// providerKind is what a provider's networks are used for.
type providerKind uint8

const (
	kindResidential providerKind = iota
	kindMobile
	kindBusiness // hotel, café and guest Wi-Fi back-hauls
	kindHosting  // data centres, VPN exits
)

var providerKindNames = [...]string{"residential", "mobile", "business", "hosting"}

func (k providerKind) String() string { return providerKindNames[k] }

// provider is one network operator (one ASN in the GeoIP ASN database).
type provider struct {
	Name string
	ASN  uint32
	Kind providerKind
	// Countries the provider serves (residential, mobile, business).
	Countries []string
	// IPv6 marks residential ISPs that hand customers a /56.
	IPv6 bool
	// DCs are data-centre cities of a hosting provider.
	DCs []string
}

var countries = []country{
	{"US", "Washington", 37.751, -97.822, 1.0},
	{"CA", "Ottawa", 56.13, -106.35, 1.0},
	{"MX", "Mexico City", 23.63, -102.55, 0.35},
	{"BR", "Brasília", -14.24, -51.93, 0.3},
	{"GB", "London", 51.4964, -0.1224, 1.2},
	{"IE", "Dublin", 53.0, -8.0, 1.2},
	{"FR", "Paris", 48.8582, 2.3387, 1.1},
	{"DE", "Berlin", 51.2993, 9.491, 1.2},
	{"NL", "Amsterdam", 52.3824, 4.8995, 1.3},
	{"BE", "Brussels", 50.8509, 4.3447, 1.2},
	{"CH", "Bern", 47.1449, 8.1551, 1.3},
	{"AT", "Vienna", 47.5162, 14.5501, 1.2},
	{"ES", "Madrid", 40.4637, -3.7492, 1.0},
	{"PT", "Lisbon", 39.3999, -8.2245, 1.0},
	{"IT", "Rome", 41.8719, 12.5674, 0.9},
	{"SE", "Stockholm", 60.1282, 18.6435, 1.5},
	{"NO", "Oslo", 60.472, 8.4689, 1.5},
	{"DK", "Copenhagen", 56.2639, 9.5018, 1.5},
	{"FI", "Helsinki", 61.9241, 25.7482, 1.4},
	{"PL", "Warsaw", 51.9194, 19.1451, 0.9},
	{"CZ", "Prague", 49.8175, 15.473, 0.9},
	{"RO", "Bucharest", 45.9432, 24.9668, 0.7},
	{"GR", "Athens", 39.0742, 21.8243, 0.8},
	{"JP", "Tokyo", 35.69, 139.69, 0.15},
	{"AU", "Canberra", -25.2744, 133.7751, 0.9},
}

var cities = []city{
	// United States
	{"New York", "US", 40.7128, -74.0060, 19.5, -5},
	{"Los Angeles", "US", 34.0522, -118.2437, 13.0, -8},
	{"Chicago", "US", 41.8781, -87.6298, 9.5, -6},
	{"Houston", "US", 29.7604, -95.3698, 7.1, -6},
	{"Dallas", "US", 32.7767, -96.7970, 7.6, -6},
	{"Phoenix", "US", 33.4484, -112.0740, 4.9, -7},
	{"Philadelphia", "US", 39.9526, -75.1652, 6.2, -5},
	{"San Antonio", "US", 29.4241, -98.4936, 2.6, -6},
	{"San Diego", "US", 32.7157, -117.1611, 3.3, -8},
	{"San Francisco", "US", 37.7749, -122.4194, 4.7, -8},
	{"San Jose", "US", 37.3382, -121.8863, 2.0, -8},
	{"Seattle", "US", 47.6062, -122.3321, 4.0, -8},
	{"Denver", "US", 39.7392, -104.9903, 3.0, -7},
	{"Boston", "US", 42.3601, -71.0589, 4.9, -5},
	{"Washington", "US", 38.9072, -77.0369, 6.3, -5},
	{"Atlanta", "US", 33.7490, -84.3880, 6.1, -5},
	{"Miami", "US", 25.7617, -80.1918, 6.1, -5},
	{"Minneapolis", "US", 44.9778, -93.2650, 3.7, -6},
	{"Detroit", "US", 42.3314, -83.0458, 4.3, -5},
	{"Portland", "US", 45.5152, -122.6784, 2.5, -8},
	{"Las Vegas", "US", 36.1699, -115.1398, 2.3, -8},
	{"Baltimore", "US", 39.2904, -76.6122, 2.8, -5},
	{"Charlotte", "US", 35.2271, -80.8431, 2.7, -5},
	{"Columbus", "US", 39.9612, -82.9988, 2.1, -5},
	{"Newark", "US", 40.7357, -74.1724, 0.3, -5},
	{"Ashburn", "US", 39.0438, -77.4874, 0, -5},
	{"Hillsboro", "US", 45.5229, -122.9898, 0, -8},
	{"Piscataway", "US", 40.5549, -74.4643, 0, -5},
	{"Santa Clara", "US", 37.3541, -121.9552, 0, -8},
	{"Fremont", "US", 37.5485, -121.9886, 0, -8},
	// Canada
	{"Toronto", "CA", 43.6532, -79.3832, 6.2, -5},
	{"Montreal", "CA", 45.5017, -73.5673, 4.3, -5},
	{"Vancouver", "CA", 49.2827, -123.1207, 2.6, -8},
	{"Calgary", "CA", 51.0447, -114.0719, 1.5, -7},
	{"Ottawa", "CA", 45.4215, -75.6972, 1.4, -5},
	{"Edmonton", "CA", 53.5461, -113.4938, 1.4, -7},
	{"Quebec City", "CA", 46.8139, -71.2080, 0.8, -5},
	{"Beauharnois", "CA", 45.3151, -73.8779, 0, -5},
	// Mexico
	{"Mexico City", "MX", 19.4326, -99.1332, 21.8, -6},
	{"Guadalajara", "MX", 20.6597, -103.3496, 5.2, -6},
	{"Monterrey", "MX", 25.6866, -100.3161, 5.3, -6},
	{"Puebla", "MX", 19.0414, -98.2063, 3.2, -6},
	{"Querétaro", "MX", 20.5888, -100.3899, 1.5, -6},
	// Brazil
	{"São Paulo", "BR", -23.5505, -46.6333, 22.4, -3},
	{"Rio de Janeiro", "BR", -22.9068, -43.1729, 13.6, -3},
	{"Belo Horizonte", "BR", -19.9167, -43.9345, 6.0, -3},
	{"Brasília", "BR", -15.7975, -47.8919, 4.7, -3},
	{"Curitiba", "BR", -25.4284, -49.2733, 3.7, -3},
	{"Porto Alegre", "BR", -30.0346, -51.2177, 4.3, -3},
	// United Kingdom
	{"London", "GB", 51.5074, -0.1278, 14.3, 0},
	{"Manchester", "GB", 53.4808, -2.2426, 2.8, 0},
	{"Birmingham", "GB", 52.4862, -1.8904, 2.9, 0},
	{"Leeds", "GB", 53.8008, -1.5491, 1.9, 0},
	{"Glasgow", "GB", 55.8642, -4.2518, 1.7, 0},
	{"Edinburgh", "GB", 55.9533, -3.1883, 0.9, 0},
	{"Bristol", "GB", 51.4545, -2.5879, 0.7, 0},
	{"Liverpool", "GB", 53.4084, -2.9916, 0.9, 0},
	{"Newcastle upon Tyne", "GB", 54.9783, -1.6178, 0.8, 0},
	{"Cardiff", "GB", 51.4816, -3.1791, 0.5, 0},
	{"Brighton", "GB", 50.8225, -0.1372, 0.5, 0},
	{"Oxford", "GB", 51.7520, -1.2577, 0.25, 0},
	{"Cambridge", "GB", 52.2053, 0.1218, 0.2, 0},
	// Ireland
	{"Dublin", "IE", 53.3498, -6.2603, 1.9, 0},
	{"Cork", "IE", 51.8985, -8.4756, 0.4, 0},
	{"Galway", "IE", 53.2707, -9.0568, 0.1, 0},
	{"Limerick", "IE", 52.6638, -8.6267, 0.1, 0},
	// France
	{"Paris", "FR", 48.8566, 2.3522, 11.0, 1},
	{"Lyon", "FR", 45.7640, 4.8357, 2.3, 1},
	{"Marseille", "FR", 43.2965, 5.3698, 1.9, 1},
	{"Toulouse", "FR", 43.6047, 1.4442, 1.4, 1},
	{"Lille", "FR", 50.6292, 3.0573, 1.5, 1},
	{"Bordeaux", "FR", 44.8378, -0.5792, 1.3, 1},
	{"Nice", "FR", 43.7102, 7.2620, 1.0, 1},
	{"Nantes", "FR", 47.2184, -1.5536, 1.0, 1},
	{"Strasbourg", "FR", 48.5734, 7.7521, 0.8, 1},
	{"Rennes", "FR", 48.1173, -1.6778, 0.7, 1},
	{"Montpellier", "FR", 43.6108, 3.8767, 0.8, 1},
	{"Roubaix", "FR", 50.6942, 3.1746, 0.1, 1},
	{"Gravelines", "FR", 50.9865, 2.1281, 0, 1},
	// Germany
	{"Berlin", "DE", 52.5200, 13.4050, 4.5, 1},
	{"Hamburg", "DE", 53.5511, 9.9937, 2.7, 1},
	{"Munich", "DE", 48.1351, 11.5820, 2.9, 1},
	{"Cologne", "DE", 50.9375, 6.9603, 2.0, 1},
	{"Frankfurt am Main", "DE", 50.1109, 8.6821, 2.3, 1},
	{"Stuttgart", "DE", 48.7758, 9.1829, 1.9, 1},
	{"Düsseldorf", "DE", 51.2277, 6.7735, 1.5, 1},
	{"Leipzig", "DE", 51.3397, 12.3731, 1.0, 1},
	{"Dresden", "DE", 51.0504, 13.7373, 0.8, 1},
	{"Hanover", "DE", 52.3759, 9.7320, 1.2, 1},
	{"Nuremberg", "DE", 49.4521, 11.0767, 1.2, 1},
	{"Bremen", "DE", 53.0793, 8.8017, 0.9, 1},
	{"Essen", "DE", 51.4556, 7.0116, 2.0, 1},
	{"Falkenstein", "DE", 50.4779, 12.3713, 0, 1},
	{"Limburg an der Lahn", "DE", 50.3836, 8.0503, 0, 1},
	// Netherlands
	{"Amsterdam", "NL", 52.3676, 4.9041, 2.5, 1},
	{"Rotterdam", "NL", 51.9244, 4.4777, 1.8, 1},
	{"The Hague", "NL", 52.0705, 4.3007, 1.1, 1},
	{"Utrecht", "NL", 52.0907, 5.1214, 0.9, 1},
	{"Eindhoven", "NL", 51.4416, 5.4697, 0.8, 1},
	{"Groningen", "NL", 53.2194, 6.5665, 0.4, 1},
	// Belgium
	{"Brussels", "BE", 50.8503, 4.3517, 2.1, 1},
	{"Antwerp", "BE", 51.2194, 4.4025, 1.2, 1},
	{"Ghent", "BE", 51.0543, 3.7174, 0.6, 1},
	{"Liège", "BE", 50.6326, 5.5797, 0.7, 1},
	// Switzerland
	{"Zurich", "CH", 47.3769, 8.5417, 1.4, 1},
	{"Geneva", "CH", 46.2044, 6.1432, 0.6, 1},
	{"Basel", "CH", 47.5596, 7.5886, 0.5, 1},
	{"Bern", "CH", 46.9480, 7.4474, 0.4, 1},
	{"Lausanne", "CH", 46.5197, 6.6323, 0.4, 1},
	// Austria
	{"Vienna", "AT", 48.2082, 16.3738, 2.9, 1},
	{"Graz", "AT", 47.0707, 15.4395, 0.6, 1},
	{"Linz", "AT", 48.3069, 14.2858, 0.5, 1},
	{"Salzburg", "AT", 47.8095, 13.0550, 0.4, 1},
	{"Innsbruck", "AT", 47.2692, 11.4041, 0.3, 1},
	// Spain
	{"Madrid", "ES", 40.4168, -3.7038, 6.7, 1},
	{"Barcelona", "ES", 41.3874, 2.1686, 5.6, 1},
	{"Valencia", "ES", 39.4699, -0.3763, 1.6, 1},
	{"Seville", "ES", 37.3891, -5.9845, 1.5, 1},
	{"Bilbao", "ES", 43.2630, -2.9350, 1.0, 1},
	{"Málaga", "ES", 36.7213, -4.4214, 1.0, 1},
	{"Zaragoza", "ES", 41.6488, -0.8891, 0.8, 1},
	{"Palma", "ES", 39.5696, 2.6502, 0.5, 1},
	// Portugal
	{"Lisbon", "PT", 38.7223, -9.1393, 2.9, 0},
	{"Porto", "PT", 41.1579, -8.6291, 1.7, 0},
	{"Braga", "PT", 41.5454, -8.4265, 0.3, 0},
	{"Coimbra", "PT", 40.2033, -8.4103, 0.2, 0},
	{"Faro", "PT", 37.0194, -7.9304, 0.1, 0},
	// Italy
	{"Rome", "IT", 41.9028, 12.4964, 4.3, 1},
	{"Milan", "IT", 45.4642, 9.1900, 4.3, 1},
	{"Naples", "IT", 40.8518, 14.2681, 3.0, 1},
	{"Turin", "IT", 45.0703, 7.6869, 2.2, 1},
	{"Bologna", "IT", 44.4949, 11.3426, 1.0, 1},
	{"Florence", "IT", 43.7696, 11.2558, 1.0, 1},
	{"Palermo", "IT", 38.1157, 13.3615, 1.0, 1},
	{"Genoa", "IT", 44.4056, 8.9463, 0.8, 1},
	{"Venice", "IT", 45.4408, 12.3155, 0.6, 1},
	{"Bari", "IT", 41.1171, 16.8719, 0.6, 1},
	// Sweden
	{"Stockholm", "SE", 59.3293, 18.0686, 2.4, 1},
	{"Gothenburg", "SE", 57.7089, 11.9746, 1.1, 1},
	{"Malmo", "SE", 55.6050, 13.0038, 0.75, 1},
	{"Uppsala", "SE", 59.8586, 17.6389, 0.25, 1},
	{"Västerås", "SE", 59.6099, 16.5448, 0.15, 1},
	{"Örebro", "SE", 59.2741, 15.2066, 0.15, 1},
	{"Linköping", "SE", 58.4108, 15.6214, 0.17, 1},
	// Norway
	{"Oslo", "NO", 59.9139, 10.7522, 1.6, 1},
	{"Bergen", "NO", 60.3913, 5.3221, 0.4, 1},
	{"Trondheim", "NO", 63.4305, 10.3951, 0.3, 1},
	{"Stavanger", "NO", 58.9700, 5.7331, 0.3, 1},
	{"Drammen", "NO", 59.7439, 10.2045, 0.1, 1},
	// Denmark
	{"Copenhagen", "DK", 55.6761, 12.5683, 2.1, 1},
	{"Aarhus", "DK", 56.1629, 10.2039, 0.35, 1},
	{"Odense", "DK", 55.4038, 10.4024, 0.2, 1},
	{"Aalborg", "DK", 57.0488, 9.9217, 0.15, 1},
	// Finland
	{"Helsinki", "FI", 60.1699, 24.9384, 1.5, 2},
	{"Espoo", "FI", 60.2055, 24.6559, 0.3, 2},
	{"Tampere", "FI", 61.4978, 23.7610, 0.4, 2},
	{"Turku", "FI", 60.4518, 22.2666, 0.3, 2},
	{"Oulu", "FI", 65.0121, 25.4651, 0.2, 2},
	// Poland
	{"Warsaw", "PL", 52.2297, 21.0122, 3.1, 1},
	{"Kraków", "PL", 50.0647, 19.9450, 1.5, 1},
	{"Wrocław", "PL", 51.1079, 17.0385, 1.2, 1},
	{"Poznań", "PL", 52.4064, 16.9252, 1.0, 1},
	{"Gdańsk", "PL", 54.3520, 18.6466, 1.1, 1},
	{"Łódź", "PL", 51.7592, 19.4560, 1.0, 1},
	// Czechia
	{"Prague", "CZ", 50.0755, 14.4378, 2.7, 1},
	{"Brno", "CZ", 49.1951, 16.6068, 0.7, 1},
	{"Ostrava", "CZ", 49.8209, 18.2625, 0.5, 1},
	{"Pilsen", "CZ", 49.7384, 13.3736, 0.3, 1},
	// Romania
	{"Bucharest", "RO", 44.4268, 26.1025, 2.3, 2},
	{"Cluj-Napoca", "RO", 46.7712, 23.6236, 0.4, 2},
	{"Timișoara", "RO", 45.7489, 21.2087, 0.4, 2},
	{"Iași", "RO", 47.1585, 27.6014, 0.4, 2},
	// Greece
	{"Athens", "GR", 37.9838, 23.7275, 3.8, 2},
	{"Thessaloniki", "GR", 40.6401, 22.9444, 1.1, 2},
	{"Patras", "GR", 38.2466, 21.7346, 0.2, 2},
	{"Heraklion", "GR", 35.3387, 25.1442, 0.2, 2},
	// Japan
	{"Tokyo", "JP", 35.6762, 139.6503, 37.0, 9},
	{"Osaka", "JP", 34.6937, 135.5023, 19.0, 9},
	{"Nagoya", "JP", 35.1815, 136.9066, 9.0, 9},
	{"Yokohama", "JP", 35.4437, 139.6380, 3.7, 9},
	{"Fukuoka", "JP", 33.5904, 130.4017, 5.5, 9},
	{"Sapporo", "JP", 43.0618, 141.3545, 2.6, 9},
	{"Kyoto", "JP", 35.0116, 135.7681, 1.5, 9},
	// Australia
	{"Sydney", "AU", -33.8688, 151.2093, 5.3, 10},
	{"Melbourne", "AU", -37.8136, 144.9631, 5.1, 10},
	{"Brisbane", "AU", -27.4698, 153.0251, 2.6, 10},
	{"Perth", "AU", -31.9505, 115.8605, 2.2, 8},
	{"Adelaide", "AU", -34.9285, 138.6007, 1.4, 9.5},
	{"Canberra", "AU", -35.2809, 149.1300, 0.45, 10},
}

func res(name string, asn uint32, v6 bool, cc ...string) provider {
	return provider{Name: name, ASN: asn, Kind: kindResidential, Countries: cc, IPv6: v6}
}

func mob(name string, asn uint32, cc ...string) provider {
	return provider{Name: name, ASN: asn, Kind: kindMobile, Countries: cc}
}

func biz(name string, asn uint32, cc ...string) provider {
	return provider{Name: name, ASN: asn, Kind: kindBusiness, Countries: cc}
}

func host(name string, asn uint32, dcs ...string) provider {
	return provider{Name: name, ASN: asn, Kind: kindHosting, DCs: dcs}
}

// providers lists every network operator. Residential ISPs come first per
// country; the first residential ISP of a country is its incumbent.
var providers = []provider{
	res("Comcast Cable Communications, LLC", 7922, true, "US"),
	res("Charter Communications Inc", 20115, true, "US"),
	res("AT&T Enterprises, LLC", 7018, false, "US"),
	res("Verizon Business", 701, false, "US"),
	mob("T-Mobile USA, Inc.", 21928, "US"),
	mob("Verizon Wireless", 22394, "US"),

	res("Rogers Communications Canada Inc.", 812, false, "CA"),
	res("Bell Canada", 577, false, "CA"),
	res("Shaw Communications Inc.", 6327, false, "CA"),
	mob("TELUS Communications Inc.", 852, "CA"),

	res("UNINET", 8151, false, "MX"),
	res("Total Play Telecomunicaciones SA De CV", 22884, false, "MX"),
	res("Mega Cable, S.A. de C.V.", 13999, false, "MX"),
	mob("Radiomovil Dipsa, S.A. de C.V.", 28403, "MX"),

	res("Claro NXT Telecomunicacoes Ltda", 28573, false, "BR"),
	res("TELEFÔNICA BRASIL S.A", 26599, false, "BR"),
	res("TELEMAR NORTE LESTE S.A.", 7738, false, "BR"),
	mob("TIM S/A", 26615, "BR"),

	res("British Telecommunications PLC", 2856, true, "GB"),
	res("Virgin Media Limited", 5089, false, "GB"),
	res("Sky UK Limited", 5607, true, "GB"),
	res("TalkTalk Communications Limited", 13285, false, "GB"),
	mob("EE Limited", 12576, "GB"),
	mob("Vodafone Limited", 25135, "GB"),

	res("Eircom Limited", 5466, false, "IE"),
	res("Liberty Global B.V.", 6830, false, "IE"),
	mob("Vodafone Ireland Limited", 15502, "IE"),

	res("Orange", 3215, true, "FR"),
	res("Free SAS", 12322, true, "FR"),
	res("Societe Francaise Du Radiotelephone - SFR SA", 15557, false, "FR"),
	res("Bouygues Telecom SA", 5410, false, "FR"),
	mob("Free Mobile SAS", 51207, "FR"),

	res("Deutsche Telekom AG", 3320, true, "DE"),
	res("Vodafone GmbH", 3209, true, "DE"),
	res("1&1 Versatel Deutschland GmbH", 8881, false, "DE"),
	mob("Telefonica Germany GmbH & Co.OHG", 6805, "DE"),

	res("KPN B.V.", 1136, true, "NL"),
	res("Vodafone Libertel B.V.", 33915, false, "NL"),
	res("Odido Netherlands B.V.", 50266, false, "NL"),
	mob("T-Mobile Netherlands B.V.", 31615, "NL"),

	res("Proximus NV", 5432, true, "BE"),
	res("Telenet BV", 6848, true, "BE"),
	res("VOO S.A.", 12392, false, "BE"),
	mob("Orange Belgium SA", 47377, "BE"),

	res("Swisscom (Schweiz) AG", 3303, true, "CH"),
	res("Sunrise GmbH", 6730, false, "CH"),
	res("Init7 (Switzerland) Ltd.", 13030, true, "CH"),
	mob("Salt Mobile SA", 15796, "CH"),

	res("A1 Telekom Austria AG", 8447, false, "AT"),
	res("Magenta Telekom GmbH", 8412, false, "AT"),
	mob("Hutchison Drei Austria GmbH", 25255, "AT"),

	res("Telefonica de Espana S.A.U.", 3352, false, "ES"),
	res("Orange Espagne SA", 12479, false, "ES"),
	res("Digi Spain Telecom S.L.", 57269, false, "ES"),
	mob("Vodafone Espana S.A.U.", 12430, "ES"),

	res("MEO - SERVICOS DE COMUNICACOES E MULTIMEDIA S.A.", 3243, false, "PT"),
	res("NOS COMUNICACOES, S.A.", 2860, false, "PT"),
	mob("Vodafone Portugal - Communicacoes Pessoais S.A.", 12353, "PT"),

	res("Telecom Italia S.p.A.", 3269, false, "IT"),
	res("Fastweb SpA", 12874, true, "IT"),
	res("Vodafone Italia S.p.A.", 30722, false, "IT"),
	mob("Iliad Italia S.p.A.", 29447, "IT"),
	mob("Wind Tre S.p.A.", 1267, "IT"),

	res("Telia Company AB", 3301, true, "SE"),
	res("Tele2 Sverige AB", 39651, false, "SE"),
	res("Bredband2 AB", 29518, true, "SE"),
	mob("Tele2 Sverige AB", 1257, "SE"),
	mob("Hi3G Access AB", 44034, "SE"),

	res("Telenor Norge AS", 2119, true, "NO"),
	res("Telia Norge AS", 41164, false, "NO"),
	res("Altibox AS", 29695, true, "NO"),
	mob("Telia Norge AS", 12929, "NO"),

	res("TDC Holding A/S", 3292, false, "DK"),
	res("Telia Danmark", 3308, false, "DK"),
	mob("Telenor A/S", 9158, "DK"),

	res("Elisa Oyj", 719, true, "FI"),
	res("Telia Finland Oyj", 1759, false, "FI"),
	res("DNA Oyj", 16086, false, "FI"),
	mob("DNA Oyj", 16086, "FI"),

	res("Orange Polska Spolka Akcyjna", 5617, false, "PL"),
	res("Netia SA", 12741, false, "PL"),
	res("Vectra S.A.", 29314, false, "PL"),
	mob("P4 Sp. z o.o.", 39603, "PL"),
	mob("T-Mobile Polska S.A.", 12912, "PL"),

	res("O2 Czech Republic, a.s.", 5610, false, "CZ"),
	res("Vodafone Czech Republic a.s.", 16019, false, "CZ"),
	mob("T-Mobile Czech Republic a.s.", 5588, "CZ"),

	res("RCS & RDS S.A.", 8708, true, "RO"),
	res("Telekom Romania Communication S.A", 9050, false, "RO"),
	mob("Vodafone Romania S.A.", 12302, "RO"),

	res("Hellenic Telecommunications Organisation S.A.", 6799, false, "GR"),
	res("Vodafone-panafon Hellenic Telecommunications Company SA", 3329, false, "GR"),
	res("WIND HELLAS TELECOMMUNICATIONS SA", 25472, false, "GR"),
	mob("Cosmote Mobile Telecommunications S.A.", 29247, "GR"),

	res("NTT Communications Corporation", 4713, true, "JP"),
	res("KDDI CORPORATION", 2516, true, "JP"),
	res("Sony Network Communications Inc.", 2527, false, "JP"),
	mob("NTT DOCOMO, INC.", 9605, "JP"),
	mob("SoftBank Corp.", 17676, "JP"),

	res("Telstra Limited", 1221, true, "AU"),
	res("TPG Telecom Limited", 7545, false, "AU"),
	res("Aussie Broadband", 4764, true, "AU"),
	mob("SingTel Optus Pty Ltd", 4804, "AU"),

	biz("Cogent Communications", 174, "US", "CA", "MX", "GB", "FR", "DE", "NL", "BE", "CH", "AT", "ES", "PT", "IT", "SE", "NO", "DK", "FI", "PL", "CZ", "RO", "GR"),
	biz("Colt Technology Services Group Limited", 8220, "GB", "IE", "FR", "DE", "NL", "BE", "CH", "AT", "ES", "PT", "IT", "SE", "DK", "JP"),
	biz("Level 3 Parent, LLC", 3356, "US", "CA", "MX", "BR", "GB", "DE", "FR", "NL"),
	biz("Zayo Bandwidth", 6461, "US", "CA"),
	biz("NTT America, Inc.", 2914, "JP", "US"),
	biz("Vocus Pty Ltd", 4826, "AU"),
	biz("Algar Telecom S/A", 16735, "BR"),
	biz("Alestra, S. de R.L. de C.V.", 11172, "MX"),

	host("AMAZON-02", 16509, "Ashburn", "Columbus", "San Jose", "Hillsboro", "Montreal", "São Paulo", "Dublin", "London",
		"Paris", "Frankfurt am Main", "Stockholm", "Milan", "Zaragoza", "Zurich", "Tokyo", "Osaka", "Sydney", "Melbourne", "Querétaro"),
	host("DIGITALOCEAN-ASN", 14061, "New York", "San Francisco", "Toronto", "London", "Amsterdam", "Frankfurt am Main", "Sydney"),
	host("M247 Europe SRL", 9009, "Bucharest", "London", "Manchester", "Amsterdam", "Frankfurt am Main", "Paris", "Madrid", "Milan",
		"Stockholm", "Oslo", "Copenhagen", "Warsaw", "Prague", "Vienna", "Zurich", "Brussels", "Dublin", "Lisbon", "Athens", "Helsinki",
		"New York", "Los Angeles", "Chicago", "Miami", "Dallas", "Toronto", "Montreal", "Sydney", "Tokyo", "São Paulo", "Mexico City"),
	host("Datacamp Limited", 60068, "London", "Frankfurt am Main", "Amsterdam", "Paris", "Madrid", "Milan", "Vienna", "Prague", "Warsaw",
		"Stockholm", "Copenhagen", "Zurich", "Brussels", "Lisbon", "Dublin", "Oslo", "Helsinki", "Athens", "Bucharest", "New York",
		"Los Angeles", "Chicago", "Miami", "Dallas", "Seattle", "Denver", "Atlanta", "Toronto", "Montreal", "Vancouver", "Tokyo",
		"Sydney", "São Paulo", "Mexico City"),
	host("OVH SAS", 16276, "Roubaix", "Gravelines", "Strasbourg", "Paris", "London", "Limburg an der Lahn", "Warsaw", "Beauharnois",
		"Sydney", "Hillsboro", "Ashburn"),
	host("Hetzner Online GmbH", 24940, "Nuremberg", "Falkenstein", "Helsinki", "Ashburn", "Hillsboro"),
	host("Akamai Connected Cloud", 63949, "Newark", "Atlanta", "Dallas", "Fremont", "Toronto", "London", "Frankfurt am Main", "Tokyo",
		"Osaka", "Sydney", "Stockholm", "Paris", "Madrid", "Milan", "Amsterdam", "Chicago", "Seattle", "Los Angeles", "Miami",
		"São Paulo", "Washington"),
	host("The Constant Company, LLC", 20473, "Piscataway", "Chicago", "Dallas", "Los Angeles", "Miami", "Seattle", "Santa Clara",
		"Atlanta", "Toronto", "London", "Manchester", "Paris", "Frankfurt am Main", "Amsterdam", "Stockholm", "Madrid", "Warsaw",
		"Tokyo", "Osaka", "Sydney", "Melbourne", "São Paulo", "Mexico City"),
	host("Datacamp Limited", 212238, "London", "Manchester", "Frankfurt am Main", "Berlin", "Amsterdam", "Paris", "Marseille",
		"Madrid", "Barcelona", "Milan", "Rome", "Stockholm", "Warsaw", "New York", "Los Angeles", "Chicago", "Atlanta", "Toronto",
		"Tokyo", "Sydney", "Melbourne"),
	host("TEFINCOM S.A.", 136787, "London", "Manchester", "Dublin", "Paris", "Frankfurt am Main", "Berlin", "Amsterdam", "Brussels",
		"Zurich", "Vienna", "Madrid", "Lisbon", "Milan", "Stockholm", "Oslo", "Copenhagen", "Helsinki", "Warsaw", "Prague",
		"Bucharest", "Athens", "New York", "Los Angeles", "Chicago", "Miami", "Dallas", "Seattle", "Toronto", "Vancouver",
		"Mexico City", "São Paulo", "Tokyo", "Sydney"),
}

// consumerVPNASNs are the hosting networks consumer VPN services rent
// exits in; self-hosted VPNs use any hosting provider.
var consumerVPNASNs = []uint32{136787, 212238, 60068, 9009, 20473, 14061}

// HostingASNs returns the ASNs of every hosting or VPN provider the
// simulated population uses, in a fixed order. A detector's hosting list
// should contain them; residential, mobile and business ASNs are never in
// it.
func HostingASNs() []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	for _, p := range providers {
		if p.Kind == kindHosting && !seen[p.ASN] {
			seen[p.ASN] = true
			out = append(out, p.ASN)
		}
	}
	return out
}

// User agents per device kind, as real clients send them.
var userAgents = [...][]string{
	devTV: {
		"Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36",
		"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager",
		"Roku/DVP-14.0 (14.0.4.4162-C9)",
		"AppleTV14,1/17.4",
		"Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2 Build/STT2.230103.004) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 11; AFTKA Build/RS8143) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
	},
	devPhone: {
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.7258.94 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.7204.157 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 13; moto g73 5G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.7151.115 Mobile Safari/537.36",
	},
	devLaptop: {
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
	},
	devTablet: {
		"Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.7204.168 Safari/537.36",
		"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/132.3.1 like Chrome/132.0.6834.164 Safari/537.36",
	},
}

// hotelTVAgents are the in-room TVs of hotels.
var hotelTVAgents = []string{
	"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager LG Pro:Centric",
	"Mozilla/5.0 (Linux; Android 9; Philips MediaSuite Build/PTT1.190826.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.5359.128 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 10; Samsung LYNK REACH) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 Safari/537.36",
}
