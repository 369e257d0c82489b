"""Request bodies and parameters, with the limits from ``[serve]`` built into their types.

Built per app (``make_schemas(config.serve)``) so a limit breach is a 422 that names the
field, and the published OpenAPI spec shows the limits actually in force.
"""

from types import SimpleNamespace
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ghostwriter.config import ServeConfig

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,199}$"


def make_schemas(limits: ServeConfig) -> SimpleNamespace:
    """The pydantic models and annotated parameters for one app's limits."""

    class DocumentIn(BaseModel):
        """One past document of the user (an e-mail, a review, a commit message)."""

        model_config = ConfigDict(extra="forbid")
        doc_id: Annotated[str | None, Field(pattern=ID_PATTERN, description="defaults to a random id")] = None
        timestamp: Annotated[int | None, Field(ge=0, description="Unix seconds; defaults to now")] = None
        title: Annotated[str, Field(max_length=limits.max_document_chars)] = ""
        text: Annotated[str, Field(min_length=1, max_length=limits.max_document_chars)]

        @model_validator(mode="after")
        def _fits(self):
            if len(self.title) + len(self.text) > limits.max_document_chars:
                raise ValueError(f"title + text is longer than {limits.max_document_chars} characters "
                                 "(serve.max_document_chars)")
            if not self.text.strip():
                raise ValueError("text is blank")
            return self

    class BulkIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        documents: Annotated[list[DocumentIn], Field(min_length=1, max_length=limits.max_bulk_documents)]

        @model_validator(mode="after")
        def _unique(self):
            ids = [d.doc_id for d in self.documents if d.doc_id]
            if len(ids) != len(set(ids)):
                raise ValueError("documents repeat a doc_id")
            return self

    class CompleteIn(BaseModel):
        """Finish ``title`` + ``context`` the way ``user_id`` would."""

        model_config = ConfigDict(extra="forbid")
        user_id: Annotated[str, Field(pattern=ID_PATTERN)]
        title: Annotated[str, Field(max_length=limits.max_context_chars)] = ""
        context: Annotated[str, Field(max_length=limits.max_context_chars)]
        variant: Annotated[str | None, Field(max_length=100, description="a name from GET /v1/variants")] = None
        max_tokens: Annotated[int | None, Field(ge=1, le=limits.max_tokens_ceiling)] = None
        stream: bool = False

        @model_validator(mode="after")
        def _something(self):
            if not (self.title.strip() or self.context.strip()):
                raise ValueError("give a title or a context to continue")
            if len(self.title) + len(self.context) > limits.max_context_chars:
                raise ValueError(f"title + context is longer than {limits.max_context_chars} characters "
                                 "(serve.max_context_chars)")
            return self

    return SimpleNamespace(
        DocumentIn=DocumentIn, BulkIn=BulkIn, CompleteIn=CompleteIn,
        UserId=Annotated[str, Path(pattern=ID_PATTERN, description="the user's id within your tenant")],
        DocId=Annotated[str, Path(pattern=ID_PATTERN)],
        Limit=Annotated[int, Query(ge=1, le=1000)],
        Offset=Annotated[int, Query(ge=0)],
    )
