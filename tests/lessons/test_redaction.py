"""The personal-data check: each kind it looks for, what it must not miss, and the confirmation
that lets a false alarm ("Mill Lane" as a kind of place) through."""

import pytest

from hub.lessons import redaction


def kinds(text: str, names=()) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in redaction.find({"worked": text}, list(names))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ring 07700 900123 for the caretaker", ("phone", "07700 900123")),
        ("Out of hours: 01946 852 000", ("phone", "01946 852 000")),
        ("Call +44 7700 900456 first", ("phone", "+44 7700 900456")),
        ("Email sam.jones@example.org with updates", ("email", "sam.jones@example.org")),
        ("The flats at CA28 7SJ had the most calls", ("postcode", "CA28 7SJ")),
        ("lower case ca287sj too", ("postcode", "ca287sj")),
        ("Born 03/04/2009, so a youth referral", ("date", "03/04/2009")),
        ("She was born on 3 April 2009", ("date", "3 April 2009")),
        ("From 2009-04-03 onwards", ("date", "2009-04-03")),
        ("The tenant at 14 Mill Street complained", ("address", "14 Mill Street")),
        ("Visits to Flat 3 stopped it", ("address", "Flat 3")),
    ],
)
def test_each_kind_is_found(text, expected):
    assert expected in kinds(text)


def test_names_of_the_case_people_whole_and_in_part():
    names = ["Ann Smith", "Bo Li", "Jo-Anne O'Neill"]
    found = kinds("Ann Smith's son and the Smith family; Mrs O'Neill; Jo-Anne; Li", names)
    assert ("name", "Ann Smith") in found  # the whole name once, not its parts again
    assert ("name", "Smith") in found
    assert ("name", "O'Neill") in found and ("name", "Jo-Anne") in found
    # A part shorter than three letters is looked for only within the whole name.
    assert ("name", "Li") not in found
    assert kinds("A smithy and an annex", names) == []  # whole words only


def test_plain_lessons_pass():
    text = (
        "Mediation between the two households, then an acceptable behaviour contract for the "
        "teenager, reviewed after 8 weeks; calls fell by 80% in 3 months. Call 101 to report."
    )
    assert kinds(text) == []


def test_a_confirmation_holds_only_for_the_words_confirmed():
    fields = {"context": "A cul-de-sac like Mill Lane, with one way in"}
    found = redaction.find(fields, [])
    assert [(f.kind, f.text) for f in found] == [("address", "Mill Lane")]
    key = found[0].key
    assert redaction.unconfirmed(fields, [], [key]) == []
    # The same words elsewhere, or other words, are not covered by it.
    assert redaction.unconfirmed({"worked": "Mill Lane"}, [], [key]) != []
    assert redaction.unconfirmed({"context": "Like Mill Road"}, [], [key]) != []


def test_messages_are_one_per_field_and_name_each_finding():
    found = redaction.find(
        {"worked": "Call 07700 900123 or write to a@b.org", "problem": "Noise"}, []
    )
    messages = redaction.messages(found)
    assert list(messages) == ["worked"]
    assert "“07700 900123” looks like a phone number" in messages["worked"][0]
    assert "“a@b.org” looks like an email address" in messages["worked"][0]
