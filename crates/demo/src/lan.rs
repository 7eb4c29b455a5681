//! `just demo --lan`: the vote in a classroom. The gateway listens on the
//! machine's address on the local network, so phones on the same Wi-Fi
//! can open the vote page; its address is shown as a QR code, in the
//! terminal and on the dashboard's projector view.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use qrcode::QrCode;
use qrcode::render::{svg, unicode};

/// Why no address on the local network was found.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    #[error(
        "this machine has no route to a local network ({0}): join the room's Wi-Fi, \
         or name the address with --lan-address"
    )]
    NoRoute(std::io::Error),
    #[error(
        "the address this machine would use is {0}, which phones cannot reach: join the \
         room's Wi-Fi, or name the address with --lan-address"
    )]
    NotReachable(IpAddr),
}

/// The address this machine uses on its local network: the source address
/// the system picks for a packet to the outside. A UDP socket's `connect`
/// only asks the routing table, nothing is sent (192.0.2.1 is TEST-NET-1,
/// an address documentation reserves), so this works without internet.
pub fn lan_address() -> Result<IpAddr, LanError> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(LanError::NoRoute)?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).map_err(LanError::NoRoute)?;
    let address = socket.local_addr().map_err(LanError::NoRoute)?.ip();
    reachable(address)
}

/// `address`, if a phone on the same network could reach it.
pub fn reachable(address: IpAddr) -> Result<IpAddr, LanError> {
    if address.is_loopback() || address.is_unspecified() || address.is_multicast() {
        Err(LanError::NotReachable(address))
    } else {
        Ok(address)
    }
}

/// The vote page's address at `gateway`.
pub fn vote_url(gateway: SocketAddr) -> String {
    format!("http://{gateway}/vote.html")
}

/// `url` as a QR code drawn with half blocks, for the terminal: two rows of
/// modules per line, with the quiet zone a reader needs around it.
pub fn qr_text(url: &str) -> String {
    QrCode::new(url.as_bytes())
        .expect("a URL fits a QR code")
        .render::<unicode::Dense1x2>()
        .quiet_zone(true)
        .build()
}

/// `url` as a QR code in SVG, for the dashboard's projector view.
pub fn qr_svg(url: &str) -> String {
    QrCode::new(url.as_bytes())
        .expect("a URL fits a QR code")
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG's modules, read back as a phone would, give the URL.
    #[test]
    fn the_qr_code_decodes_to_the_vote_page() {
        let url = vote_url("192.168.1.20:8765".parse().unwrap());
        assert_eq!(url, "http://192.168.1.20:8765/vote.html");
        let code = QrCode::new(url.as_bytes()).unwrap();
        let width = code.width();
        let dark = code.to_colors();
        let margin = 4;
        let side = width + 2 * margin;
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| {
            let (x, y) = (x.wrapping_sub(margin), y.wrapping_sub(margin));
            x < width && y < width && dark[y * width + x] == qrcode::Color::Dark
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
        // The renderings the terminal and the dashboard show are of that code.
        assert!(qr_svg(&url).starts_with("<?xml") && qr_svg(&url).contains("<svg"));
        assert!(qr_text(&url).contains('█'));
    }

    #[test]
    fn an_address_phones_cannot_reach_is_refused() {
        for address in ["127.0.0.1", "::1", "0.0.0.0", "224.0.0.1"] {
            let refused = reachable(address.parse().unwrap()).unwrap_err();
            assert!(refused.to_string().contains("--lan-address"), "{refused}");
        }
        assert!(reachable("192.168.1.20".parse().unwrap()).is_ok());
        assert!(reachable("10.0.0.7".parse().unwrap()).is_ok());
    }
}
