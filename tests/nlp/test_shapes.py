"""The shape reader: text of the same length, sentences joined where they were wrapped, furniture blanked."""
import pytest

from pipeline.nlp.shapes import ocr_damaged, read_shapes


@pytest.mark.parametrize("text, read", [
    ("radicular pain since the fusion, with lesser axial pain. Oswestry\n36/100. PROMIS physical function T 39.",
     "radicular pain since the fusion, with lesser axial pain. Oswestry 36/100. PROMIS physical function T 39."),
    ("Her average pain before the trial had been around a steady\n8/10 most days.",
     "Her average pain before the trial had been around a steady 8/10 most days."),
    ("Overall the stimulator trial produced a 65% re-\nduction in her pain.",
     "Overall the stimulator trial produced a 65% reduction in her pain.  "),
    ("Pain Catas-\ntrophizing Scale and psycho-\nlogical evaluation done.\nok",
     "Pain Catastrophizing Scale and psychological evaluation done.    \nok"),
    ("Not recornmended for SCS at this time.\nNext", "Not recommended for SCS at this time. \nNext"),
    ("ODI=38  |  PEG=6", "ODI 38  |  PEG 6"),
    ("Trial relief: __65__ %", "Trial relief:   65   %"),
    ("0DI score 4O%", "ODI score 40%"),
    ("min=45;ODI_INDEX=0.42;NPRS=5;", "min 45 ODI INDEX 0.42 NPRS 5;"),
    ("By comparison, his L3-4 ESI last year gave only\n~30% relief for 2 weeks.",
     "By comparison, his L3-4 ESI last year gave only ~30% relief for 2 weeks."),
    ("He completed formal PT at Riverbend Physical Therapy, 2x/week\n01/06/2025-02/27/2025 (core stabilization).",
     "He completed formal PT at Riverbend Physical Therapy, 2x/week 01/06/2025-02/27/2025 (core stabilization)."),
    ("ODI raw score   | 8    | /50   | 09/16/2024", "ODI raw score   | 8      /50   | 09/16/2024"),
    ("BMI | 29.4 | kg/m2 |", "BMI | 29.4 | kg/m2 |"),
    ("Prior spine surgery: ________   Date: ____\nPersistent pain after surgery:  [ ] Yes  [ ] No",
     " " * 42 + "\n" + " " * 47),
    ("Psych cleared: [X] Yes [ ] No   Relief: ____", "Psych cleared: [X] Yes [ ]" + " " * 18),
    ("PT_FIRST_DOS: 2025-02-04", "PT FIRST DOS: 2025-02-04"),
    ("His wife attends the weekly group at the VA Pain\nPsychology clinic for her own pain, he notes.",
     "His wife attends the weekly group at the VA Pain Psychology clinic for her own pain, he notes."),
    ("a licensed physical therapist at Sierra Peaks Physical Therapy in\nReno, 12 visits over 7 weeks",
     "a licensed physical therapist at Sierra Peaks Physical Therapy in Reno, 12 visits over 7 weeks"),
    ("x\nODI (scanned 06/01/2025, page 2 of 7): 30%\ny", "x\nODI (scanned 06/01/2025, page 2 of 7): 30%\ny"),
])
def test_shapes_read_as_a_reader_would(text, read):
    assert read_shapes(text) == read
    assert len(read_shapes(text)) == len(text)


@pytest.mark.parametrize("text", [
    "Treatment log for the course of physical therapy as follows\n12/03/2024 eval\n12/05/2024 tx",
    "Plan reviewed with the patient and her husband at length today\n1. PT\n2. Psych",
    "Short line\n36/100",
    "pre trial  saw dr castellanos 4/1 in billings she will do trial 5/20\noswestry 23/50 today\nwt 212 bp 138/84",
])
def test_a_row_a_list_or_a_short_line_is_not_joined(text):
    assert read_shapes(text) == text


def test_fax_furniture_inside_a_note_is_blanked_and_a_sentence_runs_on_over_it():
    text = ("The patient completed eight weeks of formal physical therapy with\n"
            "FROM: LAKESIDE SPINE (555) 201-4471  09/10/2024 10:48AM  P. 8/11\n"
            "good effort and attendance.")
    read = read_shapes(text)
    assert "LAKESIDE" not in read and len(read) == len(text)
    assert "therapy with " in read and "\n" not in read.split("good effort")[0].split("with")[-1].strip(" ")


def test_ocr_damage_is_found_only_in_the_rules_words():
    assert ocr_damaged("0swestry 42%")
    assert not ocr_damaged("Oswestry 42%")


def test_a_dictated_note_reads_its_sound_alikes_spelled_letters_and_spoken_numbers():
    text = ("Dictated, not read period he reports roughly 6 0 to 7 0 percent relief comma O D I index point four four "
            "today period oz west tree colon underscore underscore percent period the stimulate her trail went well period")
    read = read_shapes(text)
    assert len(read) == len(text)
    for part in ("60 to 70 percent relief", "ODI index .44 today", "Oswestry: __", "stimulator trial went well"):
        assert part in read
    assert "L4 5" in read_shapes("Fusion at L4 5 period BMI 31 point 4 period pain 7 out of 10 period")


@pytest.mark.parametrize("text, read", [
    ("0swestry today: 2l/50 = 42o/o", "Oswestry today: 21/50 = 42%  "),
    ("Modified 0DI 2S/50 (S0%).", "Modified ODI 25/50 (50%)."),
    ("L5-S1 fusion, S1 screws", "L5-S1 fusion, S1 screws"),
])
def test_ocr_confusions_in_scores(text, read):
    assert read_shapes(text) == read


def test_an_unticked_round_box_and_a_forwarding_fax_header_say_nothing():
    assert read_shapes("( ) Failed back surgery syndrome (M96.1)\n(X) Chronic radiculopathy").startswith("( )" + " " * 10)
    header = "09/25/2023 08:58 >> REDWOOD HOLLOW PAIN >> BLUEWATER MUTUAL UM >> P.02"
    assert read_shapes("physical\n" + header + "\ntherapy at Harbor Point").strip().startswith("physical")
    assert "therapy" in read_shapes("He completed 7 weeks of physical\n" + header + "\ntherapy at Harbor Point").split("\n")[0]


@pytest.mark.parametrize("text", ["Psych clearance: {YES/NO:21234}", 'Psych eval result: {Blank single:19197::"cleared","not cleared"}',
                                  "ODI today: {Not done:99999}"])
def test_an_unexpanded_pick_list_is_an_unanswered_field(text):
    assert read_shapes(text).strip() == ""


@pytest.mark.parametrize("text, chosen", [
    ("1. AVERAGE pain BEFORE the trial (circle):   0 1 2 3 4 5 6 7 8 [9] 10", "9"),
    ("A. Percent relief with trial (circle one):   0-25%    25-50%   [50-75%]   75-100%", "50-75%"),
])
def test_a_row_of_printed_options_reads_as_the_one_circled(text, chosen):
    read = read_shapes(text)
    assert len(read) == len(text) and read.split(":", 1)[1].split() == [chosen]
