from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcoder.records import Document
from reviewcoder.segment import segment_paragraphs, segment_sentences


def sentences(text):
    return [s.text for s in segment_sentences(Document("d", text))]


def test_paragraphs_split_on_blank_lines_and_headings_stand_alone():
    text = "Background\nChild A lived with Mother.\n\n  \n3. Analysis\n\nThe HV visited.\n"
    paras = segment_paragraphs(Document("d", text))
    assert [p.text for p in paras] == ["Background", "Child A lived with Mother.", "3. Analysis", "The HV visited."]
    assert [p.unit_id for p in paras] == ["d#p0", "d#p1", "d#p2", "d#p3"]


def test_no_break_after_review_abbreviations():
    assert sentences("At 10.30 a.m. the GP saw Baby B. Dr. Jones noted bruising, e.g. on the arm.") == [
        "At 10.30 a.m. the GP saw Baby B.", "Dr. Jones noted bruising, e.g. on the arm."]
    assert sentences("The G.P. was told by Mrs. X at No. 5 Elm Road. Mr. Y left.") == [
        "The G.P. was told by Mrs. X at No. 5 Elm Road.", "Mr. Y left."]
    assert sentences("Mother, i.e. the main carer, was seen at 3 p.m. The HV visited later.") == [
        "Mother, i.e. the main carer, was seen at 3 p.m.", "The HV visited later."]


def test_numbered_points_and_quotes():
    assert sentences('1. The GP did not know. 2. The school was not told. "Why?" she asked.') == [
        "1. The GP did not know.", "2. The school was not told.", '"Why?" she asked.']


def test_sentences_never_cross_paragraphs():
    doc = Document("d", "First para ends here\n\nsecond para starts lower case.")
    assert [s.text for s in segment_sentences(doc)] == ["First para ends here", "second para starts lower case."]


odd_text = st.lists(
    st.sampled_from(list("ab .?!\n\r\t\u00a0\u2029\u3000é中😀\"'()0123456789ABCG") + ["Dr. ", "a.m. ", "\n\n", "No. "]),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(odd_text)
def test_offsets_always_reproduce_the_text(text):
    doc = Document("d", text)
    paras = segment_paragraphs(doc)
    for segs in (paras, segment_sentences(doc)):
        last_end = 0
        for s in segs:
            assert text[s.start:s.end] == s.text
            assert s.text and not s.text[0].isspace() and not s.text[-1].isspace()
            assert s.start >= last_end
            last_end = s.end
    # Nothing but white space is left outside the paragraphs.
    covered = set()
    for p in paras:
        covered.update(range(p.start, p.end))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
