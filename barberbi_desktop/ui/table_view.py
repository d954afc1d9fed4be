"""A table view that shows a kept picture of its cells when nothing in them changed
(see `ui.kept_picture`): after a tab switch it draws one picture instead of
laying out, shaping and asking the model for every visible cell. Its headers do
the same: a header's paint asks the model (Python) for each section's text, font
and alignment and draws every section's bevel, 10-26 ms a paint under load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QHeaderView,
    QTableView,
    QTableWidget,
    QWidget,
)

from barberbi_desktop.ui.kept_picture import KeptPicture

_MODEL_SIGNALS = (
    "dataChanged", "headerDataChanged", "layoutChanged", "modelReset", "rowsInserted",
    "rowsRemoved", "rowsMoved", "columnsInserted", "columnsRemoved", "columnsMoved",
)  # fmt: skip


_HEADER_MODEL_SIGNALS = (
    "headerDataChanged", "layoutChanged", "modelReset", "rowsInserted", "rowsRemoved",
    "rowsMoved", "columnsInserted", "columnsRemoved", "columnsMoved",
)  # fmt: skip


class _Watching:
    """Rewires `forget_picture` to a view's model and selection model as they change."""

    _watched: QItemSelectionModel | None = None  # the selection model whose signals we hear
    _model_signals: tuple[str, ...] = ()

    def _watch_model(self, old: QAbstractItemModel | None,
                     new: QAbstractItemModel | None) -> None:  # fmt: skip
        for model, wire in ((old, "disconnect"), (new, "connect")):
            if model is not None:
                for name in self._model_signals:
                    getattr(getattr(model, name), wire)(self.forget_picture)  # type: ignore[attr-defined]

    def _watch_selection(self) -> None:
        selection = self.selectionModel()  # type: ignore[attr-defined]
        if selection is not None and selection is not self._watched:
            selection.selectionChanged.connect(self.forget_picture)  # type: ignore[attr-defined]
            selection.currentChanged.connect(self.forget_picture)  # type: ignore[attr-defined]
            self._watched = selection

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()  # type: ignore[attr-defined]
        super().setModel(model)  # type: ignore[misc]
        self._watch_model(old, model)
        self._watch_selection()
        self.forget_picture()  # type: ignore[attr-defined]

    def setSelectionModel(self, selection: QItemSelectionModel) -> None:
        super().setSelectionModel(selection)  # type: ignore[misc]
        self._watch_selection()
        self.forget_picture()  # type: ignore[attr-defined]


class HeaderView(_Watching, KeptPicture, QHeaderView):
    """Drops its picture on the model's header and shape signals, the selection (its
    sections are highlighted for selected cells), section sizes, order and count, the
    sort indicator, scrolling (`TableView` tells it) and the setters that change how
    sections are drawn."""

    _model_signals = _HEADER_MODEL_SIGNALS

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._keep_pictures()
        # Not geometriesChanged: a header emits it on every show and hide.
        for signal in (self.sectionResized, self.sectionMoved, self.sectionCountChanged,
                       self.sortIndicatorChanged):  # fmt: skip
            signal.connect(self.forget_picture)

    _hint: QSize | None = None

    def forget_picture(self, *_: object) -> None:
        """Whatever can change how the header looks can change its size hint too."""
        self._hint = None
        super().forget_picture()

    def sizeHint(self) -> QSize:
        """Kept between the changes that drop the picture. Qt works it out anew, asking
        the model (Python) for each section's text, font and alignment, each time the
        header is shown or hidden: 5.7% of the GUI thread's time in the chain benchmark."""
        if self._hint is None:
            self._hint = super().sizeHint()
        return QSize(self._hint)

    def setSortIndicator(self, section: int, order: Qt.SortOrder) -> None:  # type: ignore[override]
        super().setSortIndicator(section, order)  # also heard with its signal blocked
        self.forget_picture()

    def setSortIndicatorShown(self, show: bool) -> None:  # type: ignore[override]
        super().setSortIndicatorShown(show)
        self.forget_picture()

    def setDefaultAlignment(self, alignment: Qt.AlignmentFlag) -> None:  # type: ignore[override]
        super().setDefaultAlignment(alignment)
        self.forget_picture()

    def setHighlightSections(self, highlight: bool) -> None:  # type: ignore[override]
        super().setHighlightSections(highlight)
        self.forget_picture()

    def setSectionsClickable(self, clickable: bool) -> None:  # type: ignore[override]
        super().setSectionsClickable(clickable)
        self.forget_picture()


class _KeptTable(_Watching, KeptPicture):
    """Drops its picture on the model's signals, the selection and current cell,
    scrolling, column and row sizes, and the setters that change how cells are drawn."""

    _model_signals = _MODEL_SIGNALS

    def _keep_table_pictures(self) -> None:
        self._keep_pictures()
        view: QTableView = self  # type: ignore[assignment]
        for default, setter in ((view.horizontalHeader(), view.setHorizontalHeader),
                                (view.verticalHeader(), view.setVerticalHeader)):  # fmt: skip
            header = HeaderView(default.orientation(), view)
            header.setSectionsClickable(default.sectionsClickable())  # as QTableView sets them
            header.setHighlightSections(default.highlightSections())
            setter(header)
        headers = (view.horizontalHeader(), view.verticalHeader())
        bars = (view.horizontalScrollBar(), view.verticalScrollBar())
        for bar, header in zip(bars, headers, strict=True):
            bar.valueChanged.connect(self.forget_picture)
            bar.valueChanged.connect(header.forget_picture)  # the header scrolls with it
        for header in headers:
            header.sectionResized.connect(self.forget_picture)
            header.sectionMoved.connect(self.forget_picture)
            header.sectionCountChanged.connect(self.forget_picture)
        self._watch_model(None, view.model())  # a QTableWidget has its own from the start
        self._watch_selection()

    def setItemDelegate(self, delegate: QAbstractItemDelegate) -> None:
        super().setItemDelegate(delegate)  # type: ignore[misc]
        self.forget_picture()

    def setItemDelegateForColumn(self, column: int, delegate: QAbstractItemDelegate) -> None:
        super().setItemDelegateForColumn(column, delegate)  # type: ignore[misc]
        self.forget_picture()

    def setWordWrap(self, on: bool) -> None:
        super().setWordWrap(on)  # type: ignore[misc]
        self.forget_picture()

    def setShowGrid(self, show: bool) -> None:
        super().setShowGrid(show)  # type: ignore[misc]
        self.forget_picture()

    def setAlternatingRowColors(self, enable: bool) -> None:
        super().setAlternatingRowColors(enable)  # type: ignore[misc]
        self.forget_picture()


class TableView(_KeptTable, QTableView):
    """A QTableView over our models (`ui.table_model.DataFrameModel`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keep_table_pictures()


class TableWidget(_KeptTable, QTableWidget):
    """A QTableWidget (the Settings tab's editable tables): its items' model is its own.
    An open editor is a widget of its own on top; committing it changes the model."""

    def __init__(self, rows: int, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self._keep_table_pictures()

    @contextmanager
    def filling(self) -> Iterator[None]:
        """Set many items at once: each `setItem` signals the model, and a Python slot
        per item cost a chain's 532-barber table 25-35 ms more to fill; the picture is
        dropped once instead, and nothing is painted until the table is full."""
        model = self.model()
        self.setUpdatesEnabled(False)
        self._watch_model(model, None)
        try:
            yield
        finally:
            self._watch_model(None, model)
            self.forget_picture()
            self.setUpdatesEnabled(True)
