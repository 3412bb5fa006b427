"""The most frequent function words of the Latin-script languages models drift into.

Used only as a fast path in front of lingua: a clause whose function words all belong to one
language (at least two of them, none of any other language) is that language; every other
clause goes to lingua. A word listed under several languages ("de", "la", "a", "no", "se") is no
evidence and is dropped from the markers, so each list must also name the short words it shares
with the others. Lists hold articles, pronouns, prepositions, conjunctions, auxiliaries and the
connectives chains of thought are full of ("then", "wait", "donc", "also"...), lower-cased.
"""

from __future__ import annotations

from collections import Counter


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
        pendant selon cependant parce lorsque puisque chaque
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

_OCCURRENCES = Counter(word for words in FUNCTION_WORDS.values() for word in words)

# word -> the one language it is evidence for.
MARKERS: dict[str, str] = {
    word: language
    for language, words in FUNCTION_WORDS.items()
    for word in words
    if _OCCURRENCES[word] == 1 and not word.endswith("'")
}
# French and Italian elisions ("l'équation", "c'est", "dell'area") are looked up by their prefix.
ELISION_MARKERS: dict[str, str] = {
    word[:-1]: language
    for language, words in FUNCTION_WORDS.items()
    for word in words
    if _OCCURRENCES[word] == 1 and word.endswith("'")
}
