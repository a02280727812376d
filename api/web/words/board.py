"""Words of the display board (/board)."""

from __future__ import annotations

# key -> (Chinese, English); "{n}" and "{number}" are filled in by board.js.
WORDS: dict[str, tuple[str, str]] = {
    "board.title": ("叫号大屏", "Display board"),
    "board.now": ("正在叫号", "Now calling"),
    "board.recent": ("最近叫号", "Recent calls"),
    "board.windows": ("各窗口", "Windows"),
    "board.window": ("{n}号窗口", "Window {n}"),
    "board.to_window": ("请到", "please go to"),
    "board.announce": ("请 {number} 号到 {n}号窗口", "Number {number}, please go to window {n}"),
    "board.recalled": ("再次呼叫", "Called again"),
    "board.none": ("暂无叫号", "No one has been called yet"),
    "board.waiting": ("—", "—"),
    "board.closed": ("暂停服务", "Closed"),
    "board.sound.on": ("开启提示音", "Enable sound"),
    "board.sound.off": ("关闭提示音", "Mute sound"),
    "board.live": ("实时更新", "Live"),
    "board.reconnecting": ("连接中断，正在重连…", "Connection lost; reconnecting…"),
    "board.connecting": ("正在连接…", "Connecting…"),
    "board.updated": ("更新于", "Updated"),
}
