"""Words of the self-service kiosk (/kiosk)."""

from __future__ import annotations

# key -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "kiosk.title": ("扫企业码取号", "Scan your business code for a ticket"),
    "kiosk.item": ("办理事项（可选）", "What you come for (optional)"),
    "kiosk.item-any": ("按预约办理 / 到窗口再定", "As booked / decide at the window"),
    "kiosk.gun": ("请将企业码对准扫码器", "Hold your business code to the scanner"),
    "kiosk.gun-submit": ("取号", "Take a ticket"),
    "kiosk.camera-start": ("用摄像头扫码", "Scan with the camera"),
    "kiosk.camera-stop": ("停止扫码", "Stop scanning"),
    "kiosk.camera-on": (
        "请将手机上的企业码对准摄像头",
        "Hold the code on your phone to the camera",
    ),
    "kiosk.camera-failed": (
        "无法打开摄像头，请使用扫码器",
        "The camera could not start; use the scanner",
    ),
    "kiosk.walk-in": ("没有企业码？", "No business code?"),
    "kiosk.walk-in-hint": (
        "选择业务类别取号，到窗口时再出示企业码",
        "Choose a service to take a ticket; show the business code at the window",
    ),
    "kiosk.your-number": ("您的号码", "Your number"),
    "kiosk.ahead": ("前面还有 {n} 人", "{n} ahead of you"),
    "kiosk.wait": ("预计等候约 {n} 分钟", "About {n} minutes' wait"),
    "kiosk.appointment": ("已签到您的预约", "Your booking is checked in"),
    "kiosk.walk-in-ticket": (
        "请到窗口时出示企业码",
        "Show the business code when you are called",
    ),
    "kiosk.watch-board": ("请留意叫号大屏", "Watch the display board for your number"),
    "kiosk.acting": ("办事人", "Acting for the business"),
    "kiosk.done": ("完成", "Done"),
    "kiosk.reset-hint": ("本页面将自动返回", "This screen resets by itself"),
}
