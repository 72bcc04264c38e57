"""A rule-based Kazakh stemmer: inflectional suffixes stripped in grammatical order.

Written from Kazakh grammar for Qalam (MIT); no code or word list of another
morphology project is used.  The rules are written below in Cyrillic, the way a
grammar book gives them, and compiled at import into the 2021 Latin alphabet, in
which the stemmer runs: a Latin word is stemmed directly, a Cyrillic word is
transliterated (letter by letter, :func:`qalam.lang.translit.to_latin`), stemmed,
and the stem is mapped back onto the Cyrillic word.  So ``дәрігерлердің`` and
``därıgerlerdıñ`` get the same stem, each in its own script.  Input is expected
folded (lower case); :func:`qalam.lang.stem.stem` does that.

How it works
------------
A word is read from its end through the slots of a Kazakh word form, outermost
first, each slot optional — a small state machine::

    nominal:  stem (+ participle/verbal noun) + plural + possessive + case + predicate
    verbal:   stem (+ passive) (+ negation) + tense / converb / mood (+ person)

A suffix fits when

* **vowel harmony** agrees: a suffix with back vowels (а о ұ ы) needs a stem whose
  last back/front vowel is back, a front suffix (ә ө ү і е) a front stem; у, and й,
  are looked through; a stem whose last vowel is и (Мамин, министр) or that has no
  such vowel takes both.  The instrumental -мен/-бен/-пен has no harmony;
* **the sound at the stem's end** is the one that suffix variant follows: -лар after
  vowels and р й у, -дар after л м н ң ж з, -тар after voiceless consonants; -ның
  after vowels and м н ң, -дың after р й у л ж з, -тың after voiceless; -сы after a
  vowel, -ы after a consonant; and so on for every allomorph;
* **the stem stays long enough**: two letters with a vowel at least, three before
  the one-letter suffixes (-м, -ң) and the vowel-final cases (-ның, -ны), -сы, -ңыз,
  -мыз and the conditional -са;
* **the slot order** is respected, and a few suffixes demand the next one: the case
  forms -н, -на/-не, -нда/-нде, -нан/-нен, -ндағы/-ндегі only follow a 3rd-person
  possessive (баласын → баласы → бала), the dative -а/-е only a 1st/2nd-person
  singular one (балама → балам → бала); no accusative or genitive stands before a
  predicate ending (отанымыз is отан-ымыз, not ота-ны-мыз).

Every reading that fits is tried, nominal and verbal, and the one that removes the
most letters wins (on a tie the nominal reading, then the longer suffix): so
болмады is бол-ма-ды, not болм-ады.  The result is stemmed again until nothing
changes, so ``stem(stem(w)) == stem(w)`` — which also means that a verb stem that
ends like a case form is cut further (сақтау → сақта → сақ).

Deliberate limits
-----------------
* The 1st and 2nd person singular possessives (-ым/-ім/-м, -ың/-ің/-ң) are only
  removed before the dative -а/-е that proves them.  Word-final they look exactly
  like the end of very common nouns (адам, білім, әлем, қалам, мың, кең), and in
  news text they are rare.
* -ы/-і is not read as a possessive after a consonant + ғ/г/қ/к (the attributive
  -ғы/-гі/-қы/-кі: соңғы, бүгінгі, сыртқы) or + ш (the agent -шы/-ші: басшы), and
  -ысы/-ісі is -ыс-ы (жұмысы, байланысы) except after -шы (тілшісі).
* Converbs -а/-е/-й are removed only before a personal ending (барамын), never
  alone, and -п only after a consonant (-ып/-іп): too many nouns end in -а/-е and in
  -ап/-еп (қала, кітап, жауап).  The past 1st person plural -дық/-тық is left: it is
  mostly the derivational -лық (денсаулық, ынтымақтастық).
* Derivational suffixes (-лық, -шы, -ғы, -лы, -дай, ...) and voice suffixes other
  than the passive -ыл/-іл are kept: they make new words, and they also end many
  nouns.
* A vowel-initial verb suffix (-атын, -ады, -айын) does not follow a vowel и:
  мәдениетін is мәдениет-і-н.  A participle does not stand before a case ending
  directly (мақсатында is мақсат-ы-нда).
* After a vowel-initial suffix, a stem-final б/ғ (and г after a front vowel) is
  devoiced back (кітабы → кітап, тарағы → тарақ, жүрегі → жүрек), and the words
  that lose a vowel before a possessive get it back (аузы → ауыз, орны → орын,
  халқы → халық).
* Protected stems: common words whose ending only looks like a suffix (қала, бала,
  ана, жақсы, басқа, кітап, мектеп, month names, numerals, postpositions and
  conjunctions, Arabic nouns in -ат/-ет such as мемлекет and қызмет, country names in
  -стан) are never cut, stripping stops when it reaches one (қаласындағы → қаласы →
  қала, not қал), and no cut falls inside a protected word of five letters or more
  that begins the word (мақсатын → мақсат).  They are recognised typed without
  Kazakh letters too (казакстан).  Pronouns with irregular forms (маған, оның, бұған)
  and the auxiliary е- (еді, екен, емес) are looked up.
"""

from __future__ import annotations

from dataclasses import dataclass

from .translit import CYR_TO_LAT, to_latin

__all__ = ["stem_kazakh", "stem_latin"]

# ------------------------------------------------------------------------------------------------------
# Sound classes (Cyrillic), compiled to Latin below.

_V = "аәеёіоөұүыэя"  # vowels (я/ё end in a vowel, э = е)
_G = "йиую"  # glides: behave like sonorant consonants before suffixes
_S = "лмнңр" + _G  # sonorants
_Z = "жзғ"  # voiced fricatives (ғ is rare at the end of a stem)
_K = "кқпстшфхһцчщбвгд"  # voiceless (and б в г д of loan words, which take voiceless forms)
_CLASSES = {
    "V": _V,
    "S": _S,
    "Z": _Z,
    "K": _K,
    "C": _S + _Z + _K,
    "LRZ": "лр" + _G + _Z,  # -дың, -дан
    "MNN": "мнң",  # -ның, -нан after nasals
    "PL_L": "р" + _G,  # -лар after vowels and р й у
    "PL_D": "лмнңжз",  # -дар
    "лмнңр": "лмнңр",
}


def _lat_letters(cyr: str) -> frozenset[str]:
    out = set()
    for ch in cyr:
        lat = CYR_TO_LAT.get(ch, ch)
        if lat:
            out.add(lat[-1])
    return frozenset(out)


def _cond(spec: str) -> frozenset[str] | None:
    """'V S' -> the set of Latin letters a stem may end in; '*' -> any."""
    if spec == "*":
        return None
    letters: set[str] = set()
    for token in spec.split():
        letters |= _lat_letters(_CLASSES[token])
    return frozenset(letters)


VOWELS = frozenset("aäeıoöūüyiu")
TRUE_VOWELS = frozenset("aäeıoöūüy")  # without i and u, which are also the glides й and у
BACK = frozenset("aoūy")
FRONT = frozenset("äöüıe")


def _harmony(lat: str) -> str | None:
    if any(c in BACK for c in lat):
        return "B"
    if any(c in FRONT for c in lat):
        return "F"
    return None


@dataclass(frozen=True)
class Rule:
    suffix: str  # Latin
    after: frozenset[str] | None  # allowed last letters of the stem (None: any)
    harmony: str | None  # "B", "F" or None (no check)
    min_rest: int
    then: str | None = None  # a group the next slot must remove ("poss3", "poss12")
    needs: str | None = None  # only after this kind of suffix was removed ("pred")
    not_after: tuple[str, ...] | None = None  # never after these kinds of suffix (no accusative before a predicate)
    group: str | None = None  # the group this rule belongs to
    only_forced: bool = False  # used only when a previous rule demands its group
    vowel_initial: bool = False
    verb_stem: bool = False  # a vowel-initial verb suffix: not after a vowel и (мәдениетін is not мәдени-етін)


def _rules(spec: list[tuple]) -> list[Rule]:
    """Expand ("ның нің", "V MNN", options...) into Latin rules."""
    rules = []
    for entry in spec:
        suffixes, after = entry[0], entry[1]
        opts = entry[2] if len(entry) > 2 else {}
        for cyr in suffixes.split():
            lat = to_latin(cyr)
            harmony = opts.get("harmony", _harmony(lat))
            min_rest = opts.get("min_rest", 3 if len(cyr) == 1 else 2)
            rules.append(Rule(
                suffix=lat, after=_cond(after), harmony=harmony, min_rest=min_rest,
                then=opts.get("then"), needs=opts.get("needs"),
                not_after=tuple(opts["not_after"].split()) if "not_after" in opts else None,
                group=opts.get("group"),
                only_forced=opts.get("only_forced", False), vowel_initial=cyr[0] in "аәеіыұүоө",
                verb_stem=opts.get("verb_stem", False),
            ))  # fmt: skip
    return rules


NO_HARMONY = {"harmony": None}

# Predicate (personal) endings, outermost.
PRED = _rules([
    ("мын мін мыз міз", "V S"), ("бын бін быз біз", "S Z"), ("пын пін пыз піз", "K"),
    ("сың сің сыз сіз сыңдар сіңдер сыздар сіздер", "*"),
])  # fmt: skip

# Case endings.
CASE = _rules([
    ("ның нің", "V MNN", {"min_rest": 3, "not_after": "pred"}),  # genitive
    ("дың дің", "LRZ", {"not_after": "pred"}), ("тың тің", "K", {"not_after": "pred"}),
    ("ны ні", "V", {"min_rest": 3, "not_after": "pred"}),  # accusative
    ("ды ді", "S Z", {"not_after": "pred"}), ("ты ті", "K", {"not_after": "pred"}),
    ("н", "*", {"then": "poss3", "min_rest": 2}),
    ("ға ге", "V S Z"), ("қа ке", "K"),  # dative
    ("на не", "*", {"then": "poss3"}),
    ("а е", "*", {"then": "poss12", "min_rest": 2}),
    ("да де", "V S Z"), ("та те", "K"),  # locative
    ("нда нде", "*", {"then": "poss3"}),
    ("дан ден", "V LRZ"), ("нан нен", "MNN"), ("тан тен", "K"),  # ablative
    ("нан нен", "*", {"then": "poss3"}),
    ("мен менен", "V S", NO_HARMONY), ("бен бенен", "Z", NO_HARMONY), ("пен пенен", "K", NO_HARMONY),
    ("дағы дегі", "V S Z"), ("тағы тегі", "K"), ("ндағы ндегі", "*", {"then": "poss3"}),  # locative-attributive
])  # fmt: skip

# Possessive endings.
POSS = _rules([
    ("сы сі", "V", {"group": "poss3", "min_rest": 3}), ("ы і", "C", {"group": "poss3", "min_rest": 2}),
    ("ңыз ңіз", "V", {"min_rest": 3}), ("ыңыз іңіз", "C"),  # 2nd person polite
    ("мыз міз", "V", {"min_rest": 3}), ("ымыз іміз", "C"),  # 1st person plural
    ("м ң", "V", {"group": "poss12", "only_forced": True}),
    ("ым ім ың ің", "C", {"group": "poss12", "only_forced": True}),
])  # fmt: skip

PLURAL = _rules([("лар лер", "V PL_L"), ("дар дер", "PL_D"), ("тар тер", "K")])

# Participles and the verbal noun, which then take nominal endings.
VNOM = _rules([
    ("ған ген", "V S Z"), ("қан кен", "K"),
    ("маған меген", "V S"), ("баған беген", "Z"), ("паған пеген", "K"),  # negated participle
    ("атын етін", "C", {"not_after": "case", "verb_stem": True}), ("йтын йтін", "V", {"not_after": "case"}),
    ("у", "V K Z лмнңр", {"min_rest": 2}),  # not after й/и/у: Kazakh writes ю there
    ("ушы уші", "*"),
    ("мас мес", "V S", {"min_rest": 3}), ("бас бес", "Z", {"min_rest": 3}), ("пас пес", "K", {"min_rest": 3}),
])  # fmt: skip

# Finite verb forms and converbs (the verbal reading of the word end).
FIN = _rules([
    ("ды ді", "V S Z"), ("ты ті", "K"),  # past
    ("дым дім дың дің дыңыз діңіз дыңдар діңдер", "V S Z"),  # not -дық/-тық: that is mostly -лық
    ("тым тім тың тің тыңыз тіңіз тыңдар тіңдер", "K"),
    ("мады меді", "V S"), ("бады беді", "Z"), ("пады педі", "K"),  # negated past
    ("ады еді", "C", {"verb_stem": True}), ("йды йді", "V"),  # present / future, 3rd person
    ("а е", "C", {"needs": "pred", "min_rest": 2, "verb_stem": True}), ("й", "V", {"needs": "pred", "min_rest": 2}),
    ("ып іп", "C"),  # converb; not -п after a vowel: кітап, жауап, мектеп, талап, себеп end so
    ("са се сам сем саң сең сақ сек саңыз сеңіз", "*", {"min_rest": 3}),  # conditional
    ("сын сін", "*", {"min_rest": 3}),  # imperative, 3rd person
    ("айын ейін айық ейік", "C", {"verb_stem": True}), ("йын йін йық йік", "V"),  # optative, 1st person
    ("ғалы гелі ғанша генше", "V S Z"), ("қалы келі қанша кенше", "K"),
    ("май мей", "V S"), ("бай бей", "Z"), ("пай пей", "K"),  # negative converb
])  # fmt: skip

NEG = _rules([("ма ме", "V S"), ("ба бе", "Z"), ("па пе", "K")])

# Voice: only the passive -ыл/-іл (сатылды → сат).  Causatives (-дыр, -ғыз, -т), the passive
# -л after vowels, the reflexive -ын and the reciprocal -ыс cost more precision than they bring:
# they also end many nouns and lexicalised verbs (көрін "seem", келіс "agree").
VOICE = _rules([("ыл іл", "C")])


# ------------------------------------------------------------------------------------------------------
# Exceptions from grammar: words whose ending only looks like a suffix.  Stripping stops at them.

_PROTECTED_CYR = """
қала бала дала ана сана ара ала аға әке шеше кеме неке ене жеңге өзге бірге тіпті
жұмыс бас басқа басқалар жақсы жалпы кісі ірі әрі кері сары ары
кітап жауап мектеп талап себеп топ көп әдеп кәсіп ғұрып дәптер сурет
тау жау сау дау бау қару ару сұлу ауру оқу
құдай қытай ағылшын ойын орын қиын ағын келін жиын түйін егін тұрғын мұрын ерін мойын қойын
қазақстан өзбекстан қырғызстан түркменстан түрікменстан тәжікстан ауғанстан пәкістан үндістан
дағыстан татарстан башқұртстан
мен сен біз сіз ол бұл сол осы мына
төраға дайын
үкімет мемлекет қызмет әрекет міндет құрмет қасиет мәдениет әдебиет табиғат мақсат саясат сағат
ақпарат рұқсат қуат сәулет ниет вице
бүгін кеше ертең биыл былтыр кейін бұрын дейін шейін бері соң үшін туралы арқылы қарсы қатысты
байланысты сияқты секілді қарай бойы бойынша сайын гөрі жуық жөнінде
және немесе бірақ алайда өйткені сондықтан себебі яғни әйтпесе дегенмен
қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан
бір екі үш төрт бес алты жеті сегіз тоғыз он жиырма отыз қырық елу алпыс жетпіс сексен тоқсан
жүз мың миллион миллиард
""".split()

#: Words that lose the vowel of their last syllable before a vowel-initial suffix (ауыз → аузы).
_ELIDED_CYR = {
    "ауз": "ауыз", "мұрн": "мұрын", "орн": "орын", "ерн": "ерін", "қарн": "қарын", "мойн": "мойын",
    "қойн": "қойын", "халқ": "халық", "нарқ": "нарық", "ерк": "ерік", "көрк": "көрік", "бөрк": "бөрік",
    "даус": "дауыс", "қауп": "қауіп", "кейп": "кейіп", "ғұрп": "ғұрып", "құлқ": "құлық", "ырқ": "ырық",
    "қырқ": "қырық", "әрп": "әріп", "парқ": "парық",
}  # fmt: skip

#: Pronouns with irregular case forms.
_IRREGULAR_CYR = {
    "мен": "мен", "менің": "мен", "маған": "мен", "мені": "мен", "менде": "мен", "менен": "мен",
    "менімен": "мен", "сен": "сен", "сенің": "сен", "саған": "сен", "сені": "сен", "сенде": "сен",
    "сенен": "сен", "сенімен": "сен",
    "ол": "ол", "оның": "ол", "оған": "ол", "оны": "ол", "онда": "ол", "одан": "ол", "онымен": "ол",
    "олар": "ол", "онан": "ол",
    "бұл": "бұл", "бұның": "бұл", "мұның": "бұл", "бұған": "бұл", "мұған": "бұл", "бұны": "бұл",
    "мұны": "бұл", "бұнда": "бұл", "мұнда": "бұл", "бұдан": "бұл", "мұнан": "бұл",
    "бұнымен": "бұл", "мұнымен": "бұл", "бұлар": "бұл", "мұндай": "мұндай", "бұндай": "мұндай",
    "сол": "сол", "соның": "сол", "соған": "сол", "соны": "сол", "сонда": "сол", "содан": "сол",
    "сонымен": "сол", "солар": "сол", "сондай": "сондай",
    "осы": "осы", "осының": "осы", "осыған": "осы", "осыны": "осы", "осында": "осы", "осыдан": "осы",
    "осымен": "осы", "осылар": "осы", "осындай": "осындай", "қандай": "қандай", "ондай": "ондай",
    "деп": "де", "жеп": "же",
    # the auxiliary е- ("be"): еді, екен, емес; the present of жат- in the progressive
    "еді": "е", "екен": "е", "емес": "е", "жатыр": "жат",
}  # fmt: skip

PROTECTED = frozenset(to_latin(w) for w in _PROTECTED_CYR) | frozenset(to_latin(w) for w in _IRREGULAR_CYR.values())
ELIDED = {to_latin(k): to_latin(v) for k, v in _ELIDED_CYR.items()}
IRREGULAR = {to_latin(k): to_latin(v) for k, v in _IRREGULAR_CYR.items()}
_LOOSE1 = str.maketrans("äğıñöşūüq", "aginosuuk")
PROTECTED_LOOSE = frozenset(w.translate(_LOOSE1) for w in PROTECTED)

_NOMINAL_PATH = (("pred", PRED), ("case", CASE), ("poss", POSS), ("plural", PLURAL), ("vnom", VNOM),
                 ("neg", NEG), ("voice", VOICE))
_VERBAL_PATH = (("pred", PRED), ("fin", FIN), ("neg", NEG), ("voice", VOICE))
_VERBAL_SLOTS = frozenset({"vnom", "fin"})


def _index(rules: list[Rule]) -> list[tuple[int, dict[str, list[Rule]]]]:
    by_len: dict[int, dict[str, list[Rule]]] = {}
    for r in rules:
        by_len.setdefault(len(r.suffix), {}).setdefault(r.suffix, []).append(r)
    return sorted(by_len.items(), reverse=True)


_INDEX = {name: _index(rules) for name, rules in (("pred", PRED), ("case", CASE), ("poss", POSS),
                                                   ("plural", PLURAL), ("vnom", VNOM), ("fin", FIN),
                                                   ("neg", NEG), ("voice", VOICE))}


_DEVOICE = {"b": "p", "ğ": "q", "g": "k"}


def _last_harmony(rest: str) -> str | None:
    """'B' or 'F' for the last back/front vowel of ``rest``; None when unknown.

    у is looked through.  i is looked through when it follows a vowel (it is й), but
    a vowel и after a consonant makes the harmony unknown: Kazakh words with и take
    back suffixes (миы), loan words front ones (Маминнің, министрі).
    """
    for i in range(len(rest) - 1, -1, -1):
        c = rest[i]
        if c in BACK:
            return "B"
        if c in FRONT:
            return "F"
        if c == "i" and (i == 0 or rest[i - 1] not in VOWELS):
            return None
    return None


def _fits(rule: Rule, rest: str) -> bool:
    if len(rest) < rule.min_rest or not any(c in VOWELS for c in rest):
        return False
    if rule.after is not None and rest[-1] not in rule.after:
        return False
    if rule.verb_stem and rest[-1] == "i" and len(rest) > 1 and rest[-2] not in VOWELS:
        return False  # и + а/е is written ия/ие only in nouns; a verb in й or и takes я (қоятын, жиятын)
    if rule.harmony is not None:
        h = _last_harmony(rest)
        if h is not None and h != rule.harmony:
            return False
    if rule.group == "poss3" and len(rule.suffix) == 2 and rest[-1] in "yı" and rest[-2:-1] != "ş":
        # -ысы/-ісі is -ыс + -ы (жұмысы, байланысы), except after the agent suffix -шы (тілшісі).
        return False
    if rule.group == "poss3" and len(rule.suffix) == 1 and len(rest) >= 2 and rest not in ELIDED:
        # After a consonant, -ғы/-гі/-қы/-кі is the attributive suffix (соңғы, бүгінгі, сыртқы, қайғы)
        # and -шы/-ші the agent suffix (басшы, спортшы), not a possessive.
        if rest[-1] in "ğgqkş" and rest[-2] not in TRUE_VOWELS:
            return False
    return True


def _repair(rest: str, rule: Rule) -> str:
    """Undo the sound changes a vowel-initial suffix causes at the end of the stem."""
    if rest in ELIDED:
        return ELIDED[rest]
    if rule.vowel_initial and len(rest) >= 3 and rest[-2] in VOWELS and rest[-2] not in "iu":
        last = rest[-1]
        if last in ("b", "ğ") or (last == "g" and _last_harmony(rest) == "F"):
            return rest[:-1] + _DEVOICE[last]
    return rest


def _walk(word: str, path, slot: int, forced: str | None, prev: str | None, verbal: bool,
          floor: int = 0) -> tuple[int, str] | None:
    """The deepest reading of ``word`` through the slots of ``path`` from ``slot`` on.

    Returns (letters removed, stem): the reading that removes the most letters wins,
    the first found on a tie.

    Every suffix that fits is tried (slots are optional), so an ambiguous end such as
    -мады (-ма-ды, negated past, or -м-ады) gets its deepest reading.  ``None`` when a
    suffix demanded by the previous one (``forced``) cannot be removed.
    """
    if word in IRREGULAR:
        return 0, IRREGULAR[word]
    if word in PROTECTED:
        return 0, word
    best: tuple[int, str] | None = None if forced is not None else (0, word)
    for i in range(slot, len(path)):
        name, rules_ = path[i]
        if name in ("neg", "voice") and not verbal:
            continue
        for length, table in _INDEX[name]:
            if length >= len(word):
                continue
            rules = table.get(word[-length:])
            if not rules:
                continue
            rest = word[:-length]
            for rule in rules:
                if forced is not None and rule.group != forced:
                    continue
                if rule.only_forced and forced is None:
                    continue
                if rule.needs is not None and rule.needs != prev:
                    continue
                if rule.not_after is not None and prev in rule.not_after:
                    continue
                if len(rest) < floor or not _fits(rule, rest):
                    continue
                if rule.then is not None:
                    got = _walk(rest, path, i + 1, rule.then, name, verbal, floor)
                else:
                    got = _walk(_repair(rest, rule), path, i + 1, None, name, verbal or name in _VERBAL_SLOTS, floor)
                if got is not None and (best is None or got[0] + length > best[0]):
                    best = got[0] + length, got[1]
        if forced is not None and any(r.group == forced for r in rules_):
            break  # a demanded group can only be removed by the first slot that has it
    return best


def _once(word: str) -> str:
    if word in IRREGULAR:
        return IRREGULAR[word]
    # Protected words are also recognised without Kazakh letters ("казакстан", typed on a Russian
    # keyboard, is қазақстан); the loose map is one letter for one, so prefixes line up.
    loose = word.translate(_LOOSE1)
    if word in PROTECTED or loose in PROTECTED_LOOSE:
        return word
    # Never cut inside a protected word of five letters or more that begins this one (мақсатын is
    # мақсат-ы-н, not мақс-атын).  Shorter protected words (қала, бас) begin too many other words.
    floor = 0
    for n in range(len(word) - 1, 4, -1):
        if loose[:n] in PROTECTED_LOOSE:
            floor = n
            break
    nominal = _walk(word, _NOMINAL_PATH, 0, None, None, False, floor) or (0, word)
    verbal = _walk(word, _VERBAL_PATH, 0, None, None, False, floor) or (0, word)
    return verbal[1] if verbal[0] > nominal[0] else nominal[1]


def stem_latin(word: str) -> str:
    """Stem a folded Kazakh word written in the 2021 Latin alphabet.

    Latin typed with i for ı (і), as the alphabets before 2021 had it, is stemmed as written:
    bare words still match through the keys, which write ı as i, but suffixes with і
    (-дің, -лері) are only recognised when written with ı."""
    # Stem the stem until nothing changes, so that stem(stem(w)) == stem(w).  Each round removes
    # at least one letter (a restored vowel or consonant never outweighs the suffix), so this ends;
    # should two forms ever alternate, the smaller one is the stem of both.
    seen = [word]
    while True:
        nxt = _once(seen[-1])
        if nxt == seen[-1]:
            return nxt
        if nxt in seen:
            return min(seen[seen.index(nxt):])
        seen.append(nxt)


def _cyr_prefix(cyr: str, lat_len: int) -> tuple[str, int]:
    """The longest prefix of ``cyr`` whose transliteration is at most ``lat_len`` letters long."""
    acc = 0
    for i, ch in enumerate(cyr):
        n = len(CYR_TO_LAT.get(ch, ch))
        if acc + n > lat_len:
            return cyr[:i], acc
        acc += n
    return cyr, acc


_TAIL_TO_CYR = {
    "a": "а", "ä": "ә", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "ğ": "ғ", "h": "х", "ı": "і",
    "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ñ": "ң", "o": "о", "ö": "ө", "p": "п",
    "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "ұ", "ü": "ү", "v": "в", "y": "ы",
    "z": "з",
}  # fmt: skip


def stem_kazakh(word: str) -> str:
    """Stem a folded Kazakh word in either script; the stem comes back in the word's script."""
    if not word or not word.isalpha() or len(word) > 64:
        return word
    if not any("\u0400" <= c <= "\u04ff" for c in word):
        return stem_latin(word)
    lat = to_latin(word)
    st = stem_latin(lat)
    if st == lat:
        return word
    common = 0
    for a, b in zip(st, lat):
        if a != b:
            break
        common += 1
    prefix, used = _cyr_prefix(word, common)
    tail = st[used:]
    if tail[:1] == "i" and word[len(prefix):len(prefix) + 1] in ("я", "ю", "ё"):
        # The cut split я/ю/ё (йа/йу/йо): its first half is the й of the stem (қоятын → қой).
        return prefix + "й" + "".join(_TAIL_TO_CYR.get(c, c) for c in tail[1:])
    return prefix + "".join(_TAIL_TO_CYR.get(c, c) for c in tail)
