package fakeesignet

import "strings"

// iso3Languages approximates the values Locale.getISO3Language() returns
// over Locale.getAvailableLocales() on a current JDK (ClientNameLangValidator,
// eSignet v1.4+): the ISO 639-2/T code of every ISO 639-1 language the JDK
// maps, plus the CLDR languages that only have a three-letter code.
// Bibliographic variants (fre, ger, chi…) are absent on purpose: Java returns
// the terminology code (fra, deu, zho). The root locale's "" is included
// because Locale.ROOT is an available locale and maps to "".
var iso3Languages = func() map[string]bool {
	m := map[string]bool{"": true}
	for _, c := range strings.Fields(iso639T + " " + cldrOnly) {
		m[c] = true
	}
	return m
}()

const iso639T = `aar abk ave afr aka amh arg ara asm ava aym aze bak bel bul bih bis bam ben
bod bre bos cat che cha cos cre ces chu chv cym dan deu div dzo ewe ell eng epo spa est eus fas
ful fin fij fao fra fry gle gla glg grn guj glv hau heb hin hmo hrv hat hun hye her ina ind ile
ibo iii ipk ido isl ita iku jpn yid jav kat kon kik kua kaz kal khm kan kor kau kas kur kom cor
kir lat ltz lug lim lin lao lit lub lav mlg mah mri mkd mal mon mar msa mlt mya nau nob nde nep
ndo nld nno nor nbl nav nya oci oji orm ori oss pan pli pol pus por que roh run ron rus kin san
srd snd sme sag sin slk slv smo sna som sqi srp ssw sot sun swe swa tam tel tgk tha tir tuk tgl
tsn ton tur tso tat twi tah uig ukr urd uzb ven vie vol wln wol xho yor zha zho zul`

const cldrOnly = `agq asa ast bas bem bez bgc bho brx ccp ceb cgg chr ckb dav dje doi dsb dua
dyo ebu ewo fil fur gsw guz haw hnj hsb jgo jmc kab kam kde kea kgp khq kkj kln kok ksb ksf ksh
lag lkt lrc luo luy mai mas mdf mer mfe mgh mgo mni mua myv mzn naq nds nmg nnh nso nus nyn pcm
rhg rof rwk sah saq sat sbp seh ses shi smn sms teo twq tzm vai vun wae xog yav yrl yue zgh`
