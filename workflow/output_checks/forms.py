"""The forms of the output-checking pages (the services validate again: these shape input)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from workflow.models import Decision, FileKind, OutputFile


class RequestForm(forms.Form):
    title = forms.CharField(
        label="What are these outputs for?",
        max_length=200,
        help_text="For example: tables for paper 1",
    )
    public = forms.BooleanField(
        label="List the released outputs on the project's public register entry",
        required=False,
    )


class FileForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A table as CSV, a figure as PNG, JPEG or PDF, or text (code, logs, model "
        "summaries). No archives.",
    )
    kind = forms.ChoiceField(
        label="What is it?", choices=FileKind.choices, widget=forms.RadioSelect, initial="output"
    )
    description = forms.CharField(label="Describe what it shows", widget=forms.Textarea)
    disclosure_notes = forms.CharField(
        label="Disclosure control notes",
        help_text="What you did to protect people: suppression, rounding, banding, minimum counts.",
        widget=forms.Textarea,
        required=False,
    )


class AcroForm(forms.Form):
    acro = forms.FileField(label="ACRO's results.json", help_text="The file acro.finalise wrote.")


class VerdictForm(forms.Form):
    """A decision and a comment for each file the round decides."""

    def __init__(self, *args, files: Iterable[OutputFile], prefix_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.decided = list(files)
        for output_file in self.decided:
            self.fields[f"decision_{output_file.pk}"] = forms.ChoiceField(
                label=f"{prefix_label}{output_file.name}",
                choices=Decision.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{output_file.pk}"] = forms.CharField(
                label=f"Comment on {output_file.name}",
                help_text="Needed unless you approve.",
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
            )

    def items(self) -> list[dict]:
        return [
            {
                "file": f.pk,
                "decision": self.cleaned_data[f"decision_{f.pk}"],
                "comment": self.cleaned_data.get(f"comment_{f.pk}", ""),
            }
            for f in self.decided
        ]

    def rows(self) -> list[tuple[OutputFile, forms.BoundField, forms.BoundField]]:
        return [(f, self[f"decision_{f.pk}"], self[f"comment_{f.pk}"]) for f in self.decided]


class AnswerForm(forms.Form):
    """The team's answer to each comment that asked for changes, and optionally a new file."""

    def __init__(self, *args, files: Iterable[OutputFile], **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = list(files)
        for output_file in self.asked:
            self.fields[f"answer_{output_file.pk}"] = forms.CharField(
                label=f"Your answer about {output_file.name}",
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"replacement_{output_file.pk}"] = forms.FileField(
                label=f"Changed file for {output_file.name} (optional)", required=False
            )

    def rows(self) -> list[tuple[OutputFile, forms.BoundField, forms.BoundField]]:
        return [(f, self[f"answer_{f.pk}"], self[f"replacement_{f.pk}"]) for f in self.asked]
