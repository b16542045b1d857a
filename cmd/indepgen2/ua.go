package main

import (
	"fmt"
	"math/rand/v2"
)

// pickUA returns a user agent for a device kind and, for app devices, the UA
// after an app update during the window ("" if none).
func pickUA(r *rand.Rand, k DevKind) (string, string) {
	switch k {
	case TV:
		l := []string{
			"Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
			"Mozilla/5.0 (SMART-TV; Linux; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36",
			"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager",
			"Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2 Build/STT1.211025.001.Z4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36",
			"Mozilla/5.0 (Linux; Android 11; 43PUS7607/12 Build/RTT2.220118.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
			"Mozilla/5.0 (Linux; Android 9; MiTV-AXSO0 Build/PI) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.120 Safari/537.36",
		}
		return l[r.IntN(len(l))], ""
	case Stick:
		l := []string{
			"Roku/DVP-13.0 (13.0.0.4185)",
			"Roku/DVP-12.5 (12.5.5.4174)",
			"Mozilla/5.0 (Linux; Android 9; AFTKA Build/PS7633.3445N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.5615.136 Mobile Safari/537.36",
			"Mozilla/5.0 (Linux; Android 11; AFTKM Build/RS8149.2637N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.64 Mobile Safari/537.36",
			"Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 CrKey/1.56.500000",
			"AppleTV14,1/17.6 (tvOS; StreamApp 8.121.0)",
			"AppleTV11,1/17.5 (tvOS; StreamApp 8.118.2)",
		}
		return l[r.IntN(len(l))], ""
	case Phone:
		minor := 110 + r.IntN(12)
		if r.Float64() < 0.5 {
			models := []string{"iPhone14,5", "iPhone15,2", "iPhone15,3", "iPhone16,1", "iPhone16,2", "iPhone17,1", "iPhone13,2", "iPhone14,7"}
			ios := []string{"17.5.1", "17.6.1", "18.0", "18.1", "18.0.1", "16.7.10"}
			m, v := models[r.IntN(len(models))], ios[r.IntN(len(ios))]
			return fmt.Sprintf("StreamApp/8.%d.0 (%s; iOS %s; Scale/3.00)", minor, m, v),
				fmt.Sprintf("StreamApp/8.%d.0 (%s; iOS %s; Scale/3.00)", minor+2, m, v)
		}
		models := []string{"SM-S918B", "SM-S921B", "SM-A546B", "SM-A155F", "Pixel 8", "Pixel 7a", "moto g54 5G", "2201117TG", "CPH2581", "SM-G991U"}
		av := []string{"13", "14", "14", "15", "12"}
		m, v := models[r.IntN(len(models))], av[r.IntN(len(av))]
		return fmt.Sprintf("StreamApp/8.%d.1 (Linux; Android %s; %s)", minor, v, m),
			fmt.Sprintf("StreamApp/8.%d.1 (Linux; Android %s; %s)", minor+2, v, m)
	case Tablet:
		minor := 110 + r.IntN(12)
		if r.Float64() < 0.6 {
			models := []string{"iPad13,18", "iPad14,1", "iPad12,1", "iPad13,4"}
			m := models[r.IntN(len(models))]
			return fmt.Sprintf("StreamApp/8.%d.0 (%s; iPadOS 17.6.1; Scale/2.00)", minor, m),
				fmt.Sprintf("StreamApp/8.%d.0 (%s; iPadOS 17.6.1; Scale/2.00)", minor+2, m)
		}
		models := []string{"SM-X200", "SM-X710", "Lenovo TB-X606F", "KFTRWI"}
		m := models[r.IntN(len(models))]
		return fmt.Sprintf("StreamApp/8.%d.1 (Linux; Android 13; %s)", minor, m),
			fmt.Sprintf("StreamApp/8.%d.1 (Linux; Android 13; %s)", minor+2, m)
	default:
		cv := 126 + r.IntN(6)
		l := []string{
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv),
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.0.0", cv, cv),
			fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv),
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", cv+1, cv+1),
			fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv),
		}
		return l[r.IntN(len(l))], ""
	}
}
