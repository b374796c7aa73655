"""The type catalogue of Kuzet Event Format v1 and the default priority policy."""

from __future__ import annotations

from services.store.models import Category

TRAFFIC_TYPES = frozenset({
    "red_light", "speeding", "wrong_way", "no_seatbelt", "phone_use", "lane_violation", "stop_line",
    "pedestrian_crossing", "bus_lane", "parking", "no_insurance", "wanted_vehicle",
})
PUBLIC_ORDER_TYPES = frozenset({
    "fight", "crowd", "intrusion", "loitering", "abandoned_object", "weapon", "vandalism", "fall",
    "fire_smoke", "wanted_person", "panic_button", "motion",
})
SYSTEM_TYPES = frozenset({"heartbeat", "video_loss", "tamper", "storage_failure", "reboot"})

CATEGORY_OF: dict[str, Category] = {
    **{t: Category.TRAFFIC for t in TRAFFIC_TYPES},
    **{t: Category.PUBLIC_ORDER for t in PUBLIC_ORDER_TYPES},
    **{t: Category.SYSTEM for t in SYSTEM_TYPES},
}

PLATE_TYPES = frozenset(TRAFFIC_TYPES - {"pedestrian_crossing"})

# Traffic types that also need a patrol, not only a fine.
TRAFFIC_INCIDENT_TYPES = frozenset({"wanted_vehicle"})

# Default priority (1 = highest) per type; departments refine it with their own policy table.
DEFAULT_PRIORITY: dict[str, int] = {
    "weapon": 1, "panic_button": 1, "fight": 1, "fire_smoke": 1, "wanted_person": 1,
    "wanted_vehicle": 2, "intrusion": 2, "fall": 2, "crowd": 2, "abandoned_object": 2,
    "vandalism": 3, "loitering": 3, "motion": 4,
}

SENSITIVE_MOUNTS = frozenset({"school", "kindergarten"})

TYPE_LABELS_RU: dict[str, str] = {
    "weapon": "Оружие", "panic_button": "Тревожная кнопка", "fight": "Драка", "fire_smoke": "Дым/огонь",
    "wanted_person": "Розыск: лицо", "wanted_vehicle": "Розыск: авто", "intrusion": "Проникновение",
    "fall": "Падение человека", "crowd": "Скопление людей", "abandoned_object": "Оставленный предмет",
    "vandalism": "Вандализм", "loitering": "Праздношатание", "motion": "Движение",
    # Opened by the centre itself (services/cameras/health.py), never sent by a camera.
    "camera_offline": "Камера офлайн", "operator_outage": "Сбой оператора", "video_loss": "Потеря видео",
    "tamper": "Вмешательство в камеру", "storage_failure": "Сбой хранилища",
}
