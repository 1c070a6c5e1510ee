"""iCalendar files for board meetings: one per meeting, and a feed of the whole schedule."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from board.models import BoardMeeting, MeetingStatus

LONDON = ZoneInfo("Europe/London")


def _event(meeting: BoardMeeting, host: str) -> Event:
    event = Event()
    event.add("uid", f"board-meeting-{meeting.id}@{host}")
    event.add("summary", meeting.title)
    if meeting.starts_at:
        start = datetime.combine(meeting.held_on, meeting.starts_at, LONDON)
        end_time = meeting.ends_at or (datetime.combine(meeting.held_on, meeting.starts_at) + timedelta(hours=2)).time()
        event.add("dtstart", start)
        event.add("dtend", datetime.combine(meeting.held_on, end_time, LONDON))
    else:
        event.add("dtstart", meeting.held_on)
        event.add("dtend", meeting.held_on + timedelta(days=1))
    location = ", ".join(x for x in (meeting.place, meeting.link) if x)
    if location:
        event.add("location", location)
    if meeting.link:
        event.add("url", meeting.link)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED.value else "CONFIRMED")
    event.add("dtstamp", datetime.combine(meeting.updated_at.date(), time.min).replace(tzinfo=LONDON))
    event.add("sequence", int(meeting.updated_at.timestamp()) % 100000)
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Prevent partnership tracker//Board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def meeting_ics(meeting: BoardMeeting, *, host: str) -> bytes:
    calendar = _calendar(meeting.title)
    calendar.add_component(_event(meeting, host))
    return calendar.to_ical()


def schedule_ics(meetings: list[BoardMeeting], *, host: str, name: str) -> bytes:
    calendar = _calendar(name)
    for meeting in meetings:
        calendar.add_component(_event(meeting, host))
    return calendar.to_ical()
