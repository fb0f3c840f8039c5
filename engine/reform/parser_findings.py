"""What the BPMN parser and the XML schema say, told to a designer: in Vietnamese and English, in plain words,
with what to change and the element (or process) it is about.

SpiffWorkflow and libxml2 speak engine and library English ("Process X is not executable.", "Element '{ns}x':
The attribute 'y' is required but missing."). Each known message is a pattern here, kept as data; one that is
not known yet gets a plain sentence naming the line or element, and the original in English after it, marked
as the engine's words, so nothing is lost for whoever must look deeper (bench/corpus.py counts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import Problem

# "<file>[ (line N)]: <message>", as engine/procedures/specs.py and xmlsafe.py write them
_WHERE = re.compile(r"^(?P<file>[^:]+?)(?: \(line (?P<line>\d+)\))?: (?P<message>.*)$", re.S)
_NAMESPACE = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Explained:
    code: str
    element: str | None
    message_vi: str
    message_en: str
    line: int | None = None  # where in the file, when the parser said: the element can be found from it


@dataclass(frozen=True)
class _Pattern:
    code: str
    pattern: re.Pattern[str]
    vi: str
    en: str
    element: str | None = None  # the group naming the element


def _p(code: str, pattern: str, vi: str, en: str, element: str | None = None) -> _Pattern:
    return _Pattern(code, re.compile(pattern, re.S), vi, en, element)


PATTERNS = (
    _p("process-not-executable", r"^Process (?P<id>\S+) is not executable\.",
       "Quy trình “{id}” chưa được đánh dấu là chạy được. Trong trình thiết kế, chọn quy trình (bấm vào nền sơ đồ) "
       "và tích ô “Executable” (thực thi được), rồi lưu lại.",
       "Process “{id}” is not marked executable. In the modeler, select the process (click the canvas), tick "
       "“Executable” and save again.", "id"),
    _p("process-not-found", r"^The process '(?P<id>[^']*)' was not found\. Did you mean one of the following: "
       r"(?P<ids>[^?]*)\?",
       "Sơ đồ không có quy trình “{id}” mà process_id của procedure.toml chỉ tới. Các quy trình có trong sơ đồ: "
       "{ids}. Hãy đặt process_id là mã của quy trình cần chạy.",
       "The diagram has no process “{id}”, which procedure.toml's process_id names. Processes in the diagram: "
       "{ids}. Set process_id to the id of the process to run."),
    _p("no-start-event", r"^No start event found",
       "Quy trình không có sự kiện bắt đầu. Hãy vẽ một sự kiện bắt đầu (vòng tròn nét mảnh) và nối nó với bước "
       "đầu tiên.",
       "The process has no start event. Draw a start event (a thin circle) and connect it to the first step."),
    _p("timer-bad-spec", r"^Time Specification Error",
       "Hẹn giờ có biểu thức thời gian không đọc được. Dùng dạng ISO 8601: thời lượng như PT2H (2 giờ) hoặc P3D "
       "(3 ngày), thời điểm như 2026-01-01T08:00:00, lặp lại như R3/PT1H; hoặc thuộc tính workingDuration cho "
       "thời gian làm việc.",
       "A timer's time expression cannot be read. Use ISO 8601: a duration such as PT2H (2 hours) or P3D (3 "
       "days), a date such as 2026-01-01T08:00:00, a cycle such as R3/PT1H; or the workingDuration property "
       "for working time."),
    _p("data-store-unsupported", r"^Data Store with name (?P<name>.+?) has no implementation",
       "Kho dữ liệu “{name}” được vẽ nhưng Motcua chưa có kho dữ liệu nào để nối vào. Nếu chỉ để minh họa, hãy "
       "xóa nó khỏi sơ đồ hoặc thay bằng một chú thích (text annotation).",
       "Data store “{name}” is drawn, but Motcua has no data store to connect it to. If it is only "
       "documentation, remove it or use a text annotation instead."),
    _p("dmn-not-found", r'^No DMN Diagram available with id "(?P<id>[^"]*)"',
       "Bước quyết định (business rule) tham chiếu bảng quyết định DMN “{id}” nhưng gói quy trình không có bảng "
       "đó. Hãy thêm tệp DMN vào gói (dmn trong procedure.toml) hoặc sửa mã bảng quyết định của bước.",
       "A business rule step refers to the DMN decision “{id}”, which the package does not have. Add the DMN "
       "file to the package (dmn in procedure.toml) or correct the step's decision reference."),
    _p("schema-missing-attribute", r"Element '(?P<tag>[^']+)': The attribute '(?P<attribute>[^']+)' is required "
       r"but missing",
       "Phần tử <{tag}> (dòng {line}) thiếu thuộc tính bắt buộc “{attribute}” theo chuẩn BPMN 2.0. Mở tệp bằng "
       "trình thiết kế và lưu lại thường sẽ bổ sung; nếu tệp được sửa tay, hãy thêm thuộc tính đó.",
       "Element <{tag}> (line {line}) lacks the attribute “{attribute}” that BPMN 2.0 requires. Opening the file "
       "in the modeler and saving it again usually adds it; if it was edited by hand, add the attribute."),
    _p("schema-missing-child", r"Element '(?P<tag>[^']+)': Missing child element\(s\)\. Expected is (?:one of )?"
       r"\(\s*(?P<expected>[^)]*?)\s*\)",
       "Phần tử <{tag}> (dòng {line}) thiếu phần tử con bắt buộc theo chuẩn BPMN 2.0 (cần: {expected}).",
       "Element <{tag}> (line {line}) lacks a child element that BPMN 2.0 requires (expected: {expected})."),
    _p("schema-bad-value", r"Element '(?P<tag>[^']+)', attribute '(?P<attribute>[^']+)': '(?P<value>[^']*)' is "
       r"not a valid value",
       "Thuộc tính “{attribute}” của phần tử <{tag}> (dòng {line}) có giá trị “{value}” không hợp lệ theo chuẩn "
       "BPMN 2.0.",
       "The attribute “{attribute}” of element <{tag}> (line {line}) has the value “{value}”, which BPMN 2.0 does "
       "not allow."),
    _p("schema-unknown-attribute", r"Element '(?P<tag>[^']+)', attribute '(?P<attribute>[^']+)': The attribute "
       r"'[^']*' is not allowed",
       "Phần tử <{tag}> (dòng {line}) có thuộc tính “{attribute}” mà chuẩn BPMN 2.0 không có. Nếu đó là phần mở "
       "rộng của một công cụ vẽ khác, thuộc tính phải nằm trong không gian tên (namespace) riêng của công cụ đó; "
       "nếu không, hãy xóa nó.",
       "Element <{tag}> (line {line}) has the attribute “{attribute}”, which BPMN 2.0 does not define. If it is "
       "another modeler's extension it must be in that tool's own namespace; otherwise remove it."),
    _p("schema-unexpected-element", r"Element '(?P<tag>[^']+)': This element is not expected",
       "Phần tử <{tag}> (dòng {line}) không được phép ở vị trí này theo chuẩn BPMN 2.0 (thường do một phần mở "
       "rộng riêng của công cụ vẽ khác). Hãy xóa hoặc di chuyển nó.",
       "Element <{tag}> (line {line}) is not allowed here by BPMN 2.0 (often another modeler's own extension). "
       "Remove or move it."),
)
_XML_POSITION = re.compile(r"line (?P<line>\d+), column (?P<column>\d+)")


def _short(tag: str) -> str:
    return _NAMESPACE.sub("", tag)


def explain(problem: Problem) -> Explained:
    """A parser or schema problem as a designer's finding (unchanged codes and messages for everything else:
    Motcua's own problems are already written for people)."""
    if problem.code not in ("bpmn-invalid", "xml-syntax"):
        return Explained(problem.code, problem.element, problem.message, problem.message)
    where = _WHERE.match(problem.message)
    file, line, message = (where["file"], where["line"], where["message"]) if where else (
        problem.file or "", None, problem.message)
    message = message.strip()
    if problem.code == "xml-syntax":
        position = _XML_POSITION.search(message)
        at_vi = f" ở dòng {position['line']}, cột {position['column']}" if position else ""
        at_en = f" at line {position['line']}, column {position['column']}" if position else ""
        return Explained("xml-syntax", None,
                         f"Tệp “{file}” không đọc được như XML{at_vi}: tệp bị cắt, sửa tay sai, hoặc không phải "
                         "sơ đồ BPMN. Hãy xuất lại tệp từ trình thiết kế.",
                         f"The file “{file}” cannot be read as XML{at_en}: it is cut short, wrongly edited by "
                         "hand, or not a BPMN diagram. Export it again from the modeler.")
    for known in PATTERNS:
        found = known.pattern.search(message)
        if found is None:
            continue
        values = {k: _short(v).strip() if v else "" for k, v in found.groupdict().items()}
        values.setdefault("line", line or "?")
        values["line"] = line or "?"
        if "ids" in values and not values["ids"]:
            values["ids"] = "(không có)"
        element = values.get(known.element) if known.element else None
        return Explained(known.code, element or problem.element, known.vi.format(**values),
                         known.en.format(**values).replace("(không có)", "(none)"), int(line) if line else None)
    at_vi = f" (phần tử “{problem.element}”)" if problem.element else (f" (dòng {line})" if line else "")
    at_en = f" (element “{problem.element}”)" if problem.element else (f" (line {line})" if line else "")
    return Explained("bpmn-invalid", problem.element,
                     f"Sơ đồ có chỗ bộ máy quy trình không chấp nhận{at_vi}. Lời của bộ máy (tiếng Anh): "
                     f"“{message[:300]}”",
                     f"The diagram has something the process engine does not accept{at_en}. The engine's "
                     f"words: “{message[:300]}”", int(line) if line else None)
