"""The pages where a notice fits link to it, for those who may send one."""


def test_the_incident_page_links_to_a_notice(client, lincoln, family, login_as):
    login_as("counselor", schools=[lincoln.school])
    html = client.get(f"/incidents/{family.incident}").get_data(as_text=True)
    link = f"/students/{lincoln.student}/notices/new?incident_id={family.incident}&amp;kind=incident"
    assert 'data-testid="notice-' in html and link in html
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200 and 'data-testid="notice-form"' in page.get_data(as_text=True)


def test_a_teacher_sees_no_notice_link_and_cannot_open_the_page(client, lincoln, family, login_as):
    client.post("/logout")
    from tests.helpers import sign_in

    sign_in(client, lincoln.teacher)
    html = client.get(f"/incidents/{family.incident}").get_data(as_text=True)
    assert 'data-testid="notice-' not in html
    assert client.get(f"/students/{lincoln.student}/notices/new").status_code == 403
