"""The most frequent function words of the Latin-script languages models drift into.

Used only as a fast path in front of lingua: a clause whose function words (at least two) all
belong to one language, and together to no other, is that language; every other clause goes to
lingua. Each list must therefore also name the short words it shares with the others ("de",
"la", "a", "no", "se"), or a shared word would count as evidence for one language only. Lists
hold articles, pronouns, prepositions, conjunctions, auxiliaries and the connectives chains of
thought are full of ("then", "wait", "donc", "also"...), lower-cased.
"""

from __future__ import annotations

from functools import reduce
from operator import and_


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """the a an of and to in is are was were be been being have has had it its it's this that
        these those there their they them we our us you your i i'm me my he she his her for not no
        but so if then than with which who whom what when where why how can could will would should
        must may might shall do does did don't doesn't didn't isn't aren't can't won't let let's
        from at by on or as all any each every some one also just need because into onto about
        over under after before while since until now here same both either neither only very
        more most such other another again therefore thus hence however wait okay yes get got
        we're we've that's what's there's here's per come sea son die man war am plus
        """
    ),
    "fr": _words(
        """le la les l' de des du d' un une et est sont était être avoir a ont avait que qu' qui
        quoi nous vous il ils elle elles on ce cet cette ces c' ça cela ceci pour dans par sur
        avec sans pas ne n' plus mais ou où donc alors si en au aux son sa ses leur leurs notre
        nos votre vos mon ma mes je j' me m' se s' te t' tu y lui eux dont quand comment pourquoi
        or car comme tout tous toute toutes très aussi entre vers chez fait faire peut doit
        faut voici voilà puis ensuite encore déjà ainsi non oui même après avant depuis
        pendant selon cependant parce lorsque puisque chaque à jusqu'
        """
    ),
    "de": _words(
        """der die das den dem des ein eine einen einem einer eines und ist sind war waren sein
        nicht kein keine mit auf für von zu zum zur im in an am auch es sich wir ich sie er ihr
        uns unser unsere dass daß wenn oder aber so also nur noch wie was wird werden wurde kann
        können muss müssen hat haben hatte bei aus nach um als dann diese dieser dieses diesem
        man mir mich dich dir jetzt hier da durch ob weil schon mal denn doch ja nein sehr
        gibt alle jede jeder jedes zwischen über unter vor seit bis gegen ohne also daher
        somit deshalb wobei beide du will
        """
    ),
    "es": _words(
        """el la los las lo le les de del un una unos unas y e que es son era fue ser estar está
        están en por para con sin no se su sus al como más pero o u si sí ya este esta esto
        estos estas ese esa eso esos esas hay tiene tienen hacer puede debe entonces porque
        cuando donde también muy sobre entre hasta desde nos mi mis me te tu tú yo él ella
        ellos todo todos toda todas cada así ahora aquí qué cómo cuál cuáles vamos tenemos
        podemos necesitamos sea ha han he hemos mismo misma otro otra pues luego después antes
        aunque según a uno dos
        """
    ),
    "pt": _words(
        """o a os as de do da dos das um uma uns umas e é que em no na nos nas por para com sem
        não se ao aos à às como mais mas ou seu sua seus suas este esta isto estes estas esse
        essa isso esses essas ser estar está estão são era foi tem têm temos fazer pode deve
        então porque quando onde também muito sobre entre até desde eu me te tu você ele ela
        eles elas nós todo todos toda todas cada assim agora aqui qual quais vamos precisamos
        podemos seja há lhe pelo pela pelos pelas já mesmo mesma outro outra depois antes
        embora segundo num numa
        """
    ),
    "it": _words(
        """il lo la i gli le l' di del dello della dei degli delle un uno una un' e ed è che in
        per con non si al allo alla ai agli alle come più ma o se questo questa questi queste
        quello quella quelli quelle essere sono era erano ha hanno abbiamo ho fare può deve
        quindi allora perché quando dove anche molto senza su sul sulla tra fra fino da dal
        dalla dai io mi ti noi voi lui lei loro tutto tutti tutta tutte ogni così ora adesso
        qui quale quali cosa dobbiamo possiamo sia già nel nello nella nei negli nelle ci ne
        c' d' sempre poi dopo prima però cioè mentre a
        """
    ),
}

_BIT = {language: 1 << index for index, language in enumerate(FUNCTION_WORDS)}
_LANGUAGE_OF_BIT = {bit: language for language, bit in _BIT.items()}

# word -> bit set of the languages it is a function word of. French and Italian elisions
# ("l'équation", "c'est", "dell'area") are looked up by what comes before the apostrophe.
LANGUAGE_BITS: dict[str, int] = {}
for _language, _words_of_language in FUNCTION_WORDS.items():
    for _word in _words_of_language:
        LANGUAGE_BITS[_word] = LANGUAGE_BITS.get(_word, 0) | _BIT[_language]


def marker_language(words: list[str]) -> str | None:
    """The one language every function word of the clause belongs to, when there are at least two
    such words and together they rule out every other listed language; else None.

    "nous trouvons le plus petit" is French: "le" could be Spanish or Italian and "plus" English,
    but only French has them all. "vamos ver o caso par" is undecided: "par" is French.
    """
    get = LANGUAGE_BITS.get
    found = [bits for bits in map(get, words) if bits is not None]
    found += [
        bits
        for word in words
        if "'" in word and word not in LANGUAGE_BITS
        for bits in (get(word[: word.index("'") + 1]),)
        if bits is not None
    ]
    if len(found) < 2:
        return None
    return _LANGUAGE_OF_BIT.get(reduce(and_, found))
