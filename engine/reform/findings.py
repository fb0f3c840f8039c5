"""A finding of validation: a code, its severity, the element, and what to do, in Vietnamese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "task-no-lane": ("Bước “{name}” không thuộc làn (vai trò) nào, nên không ai được giao. Hãy kéo bước (hoặc "
                     "quy trình con chứa nó) vào làn của vai trò xử lý.",
                     "Step “{name}” is in no lane (role), so nobody is given it. Move the step (or the "
                     "sub-process holding it) into the lane of the role that works it."),
    "lane-unknown-role": ("Làn “{lane}” không phải là vai trò đã biết ({roles}).",
                          "Lane “{lane}” names no known role ({roles})."),
    "step-no-budget": ("Bước “{name}” chưa có thời hạn xử lý (timeBudget).",
                       "Step “{name}” has no time budget (timeBudget)."),
    "step-bad-budget": ("Thời hạn “{budget}” của bước “{name}” không hợp lệ.",
                        "The time budget “{budget}” of step “{name}” is not valid."),
    "budget-exceeds-legal": ("Tổng thời hạn các bước trên đường dài nhất ({total} giờ làm việc) vượt thời hạn "
                             "luật định ({legal} giờ làm việc).",
                             "The step budgets on the longest path ({total} working hours) exceed the legal "
                             "time ({legal} working hours)."),
    "unreachable": ("Phần tử “{name}” không thể đạt tới từ sự kiện bắt đầu: không hồ sơ nào đi qua nó. Hãy nối "
                    "một luồng từ bước trước vào nó, hoặc xóa nó.",
                    "Element “{name}” cannot be reached from the start event: no dossier ever gets there. "
                    "Connect a flow into it from an earlier step, or remove it."),
    "dead-end": ("“{name}” không có luồng đi ra: {kind_vi} mà không dẫn tới đâu thì hồ sơ dừng ở đó. Hãy nối nó "
                 "tới bước tiếp theo hoặc tới một sự kiện kết thúc.",
                 "“{name}” has no outgoing flow: {kind_en} that leads nowhere stops the dossier there. Connect "
                 "it to the next step or to an end event."),
    "implicit-end": ("Phần tử “{name}” không có luồng đi ra nên nhánh kết thúc ở đó (kết thúc ngầm định của BPMN): "
                     "hồ sơ được coi là đã xử lý nhưng không mang trạng thái của sự kiện kết thúc nào. Nếu không "
                     "cố ý, hãy nối nó tới một sự kiện kết thúc.",
                     "Element “{name}” has no outgoing flow, so its branch ends there (BPMN's implicit end): the "
                     "dossier counts as processed but with no end event's status. If that is not meant, connect "
                     "it to an end event."),
    "gateway-incomplete": ("Cổng “{name}” có luồng ra không điều kiện và không có luồng mặc định.",
                           "Gateway “{name}” has outgoing flows without conditions and no default flow."),
    "gateway-no-default": ("Cổng “{name}” không có luồng mặc định: hồ sơ sẽ dừng nếu không điều kiện nào đúng.",
                           "Gateway “{name}” has no default flow: a dossier stops if no condition holds."),
    "step-bad-escalation": ("Giá trị “{value}” của thuộc tính leo thang {prop} ở bước “{name}” không hợp lệ ({hint}).",
                            "The value “{value}” of the escalation property {prop} on step “{name}” is not valid "
                            "({hint_en})."),
    "timer-bad-duration": ("Thời lượng “{value}” (workingDuration) của hẹn giờ “{name}” không hợp lệ.",
                           "The duration “{value}” (workingDuration) of timer “{name}” is not valid."),
    "step-bad-priority": ("Độ ưu tiên “{value}” của bước “{name}” không thuộc thang: hãy dùng normal (bình "
                          "thường), urgent (khẩn) hoặc most_urgent (thượng khẩn).",
                          "The priority “{value}” of step “{name}” is not on the scale: use normal, urgent or "
                          "most_urgent."),
    "compile": ("{message}", "{message}"),
    "data-unset": ("“{name}” đọc biến “{variable}” nhưng không bước nào trước đó đặt giá trị cho nó (không có "
                   "trường biểu mẫu, tập lệnh, biểu mẫu nộp hồ sơ hay bảng quyết định nào có khóa này): hồ sơ sẽ "
                   "lỗi tại đây. Hãy thêm trường có khóa “{variable}” vào biểu mẫu của một bước trước đó, hoặc sửa "
                   "biểu thức.",
                   "“{name}” reads the variable “{variable}”, but no earlier step sets it (no form field, script, "
                   "submission form or decision table has this key): dossiers fail here. Add a field with the "
                   "key “{variable}” to the form of an earlier step, or correct the expression."),
    "data-partly-set": ("“{name}” đọc biến “{variable}” nhưng chỉ một số đường đi tới đây đặt giá trị cho nó "
                        "(bởi: {setters}): hồ sơ đi đường khác sẽ lỗi tại đây. Hãy đặt nó trên mọi nhánh, hoặc "
                        "trong biểu mẫu nộp hồ sơ.",
                        "“{name}” reads the variable “{variable}”, but only some paths to it set it (by: "
                        "{setters}): a dossier coming another way fails here. Set it on every branch, or in the "
                        "submission form."),
    "data-store-ignored": ("Kho dữ liệu “{name}” chỉ được coi là minh họa: Motcua không đọc hay ghi vào kho dữ "
                           "liệu nào. Nếu bước cần dữ liệu đó, hãy lấy nó bằng một trường biểu mẫu.",
                           "Data store “{name}” is taken as documentation only: Motcua reads and writes no data "
                           "store. If a step needs that data, collect it with a form field."),
    "camunda-form-ignored": ("Bước “{name}” khai báo trường biểu mẫu kiểu Camunda (camunda:formData/formField) "
                             "mà Motcua bỏ qua: người xử lý sẽ không thấy các trường đó. Hãy tạo một biểu mẫu "
                             "(form-js) có các trường {fields} và gắn vào bước bằng thuộc tính formKey.",
                             "Step “{name}” declares Camunda form fields (camunda:formData/formField), which "
                             "Motcua ignores: whoever works the step will not see them. Make a form (form-js) with "
                             "the fields {fields} and attach it to the step with the formKey property."),
}
# What each escalation property accepts, for the message (vi, en).
ESCALATION_HINTS = {"warnBeforeHours": ("số giờ làm việc ≥ 0", "working hours ≥ 0"),
                    "reescalateAfterHours": ("số giờ làm việc ≥ 0", "working hours ≥ 0"),
                    "warnRemaining": ("tỉ lệ từ 0 đến 1, ví dụ 0,25", "a share from 0 to 1, e.g. 0.25"),
                    "escalateAtDue": ("true hoặc false", "true or false")}
ERRORS = {"task-no-lane", "lane-unknown-role", "step-bad-budget", "step-bad-escalation", "budget-exceeds-legal",
          "unreachable", "dead-end", "gateway-incomplete", "timer-bad-duration", "compile", "data-unset"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning
    element: str | None
    message_vi: str
    message_en: str
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def finding(code: str, element: str | None, file: str | None = None, **values: Any) -> Finding:
    vi, en = MESSAGES[code]
    return Finding(code, "error" if code in ERRORS else "warning", element, vi.format(**values),
                   en.format(**values), file)


